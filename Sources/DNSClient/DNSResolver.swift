internal import CLDNS
import Glibc

/// Looks names up through ldns: the system's resolvers from /etc/resolv.conf, or one server given as
/// `ADDR[:PORT]` (`serve --resolver`). Blocking: call it off the event loops. One instance per thread.
public final class DNSResolver {
    private let resolver: UnsafeMutablePointer<ldns_resolver>

    /// `server` is `127.0.0.1:8053`, `[::1]:53` or an address without port; nil means /etc/resolv.conf.
    public init(server: String?, timeoutSeconds: Int = 3) throws(ResolverError) {
        var made: UnsafeMutablePointer<ldns_resolver>?
        if let server {
            made = try ResolverToOneServer.make(server)
        } else {
            let status = ldns_resolver_new_frm_file(&made, nil)
            guard status == LDNS_STATUS_OK, made != nil else {
                throw ResolverError("cannot read /etc/resolv.conf: \(String(cString: ldns_get_errorstr_by_id(status)))")
            }
        }
        guard let made else { throw ResolverError("cannot make a resolver") }
        resolver = made
        ldns_resolver_set_timeout(resolver, timeval(tv_sec: timeoutSeconds, tv_usec: 0))
        ldns_resolver_set_retry(resolver, 2)
    }

    deinit {
        ldns_resolver_deep_free(resolver)
    }

    /// The A and AAAA records of `name`.
    public func addresses(of name: String) -> NameLookup {
        var found: [String] = []
        for type in [LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA] {
            switch query(name, type: type, decode: Self.firstFieldText) {
            case .records(let records): found += records
            case .nonexistent: return .nonexistent
            case .failed(let reason): return .failed(reason)
            }
        }
        return found.isEmpty ? .noAddress : .addresses(found)
    }

    /// The TXT records at `name` (CNAMEs followed by the resolver), each one's strings joined as RFC 8461 §3.1 and
    /// RFC 8460 §3 read them.
    public func textRecords(_ name: String) -> DNSAnswer<String> {
        query(name, type: LDNS_RR_TYPE_TXT, decode: Self.joinedText)
    }

    /// A TXT record's strings, joined.
    static func joinedText(_ record: UnsafeMutablePointer<ldns_rr>) -> String {
        var text: [UInt8] = []
        for index in 0..<ldns_rr_rd_count(record) {
            guard let field = ldns_rr_rdf(record, index), let data = ldns_rdf_data(field) else { continue }
            // A character-string: its length, then its bytes (RFC 1035 §3.3).
            let size = ldns_rdf_size(field)
            guard size > 0 else { continue }
            text += UnsafeBufferPointer(start: data + 1, count: min(Int(data[0]), size - 1))
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// One query, the answer left to the caller (who frees it).
    func send(_ owner: UnsafeMutablePointer<ldns_rdf>, type: ldns_rr_type,
              into packet: inout UnsafeMutablePointer<ldns_pkt>?) -> ldns_status {
        // ldns marks a server that timed out as unreachable (an infinite round-trip time) and then sends nothing
        // more to it: one lost answer would fail every later query of this resolver, which lives as long as a
        // server runs. Each query starts with every server usable.
        for index in 0..<ldns_resolver_nameserver_count(resolver) {
            ldns_resolver_set_nameserver_rtt(resolver, index, Int(LDNS_RESOLV_RTT_MIN))
        }
        return ldns_resolver_query_status(&packet, resolver, owner, type, LDNS_RR_CLASS_IN, UInt16(LDNS_RD))
    }

    /// The MX records of `name`, exchanges lower-cased without the final dot.
    public func mailExchangers(_ name: String) -> DNSAnswer<MailExchanger> {
        query(name, type: LDNS_RR_TYPE_MX) { record in
            guard ldns_rr_rd_count(record) == 2, let preference = ldns_rr_rdf(record, 0),
                  let exchange = Self.text(of: ldns_rr_rdf(record, 1)) else { return nil }
            return MailExchanger(preference: Int(ldns_rdf2native_int16(preference)),
                                 exchange: DNSName.normalized(exchange))
        }
    }

    private func query<Record>(_ name: String, type: ldns_rr_type,
                               decode: (UnsafeMutablePointer<ldns_rr>) -> Record?) -> DNSAnswer<Record> {
        guard let owner = ldns_dname_new_frm_str(name) else { return .failed("\(name) is not a valid DNS name") }
        defer { ldns_rdf_deep_free(owner) }
        var packet: UnsafeMutablePointer<ldns_pkt>?
        let status = send(owner, type: type, into: &packet)
        guard status == LDNS_STATUS_OK, let packet else {
            return .failed(String(cString: ldns_get_errorstr_by_id(status)))
        }
        defer { ldns_pkt_free(packet) }
        switch ldns_pkt_get_rcode(packet) {
        case LDNS_RCODE_NOERROR: break
        case LDNS_RCODE_NXDOMAIN: return .nonexistent
        case let rcode:
            let text = ldns_pkt_rcode2str(rcode)
            defer { free(text) }
            return .failed(text.map { String(cString: $0) } ?? "rcode \(rcode.rawValue)")
        }
        guard let records = ldns_pkt_rr_list_by_type(packet, type, LDNS_SECTION_ANSWER) else { return .records([]) }
        defer { ldns_rr_list_deep_free(records) }
        return .records((0..<ldns_rr_list_rr_count(records)).compactMap { index in
            ldns_rr_list_rr(records, index).flatMap(decode)
        })
    }

    private static func firstFieldText(_ record: UnsafeMutablePointer<ldns_rr>) -> String? {
        text(of: ldns_rr_rdf(record, 0))
    }

    private static func text(of field: UnsafeMutablePointer<ldns_rdf>?) -> String? {
        guard let field, let text = ldns_rdf2str(field) else { return nil }
        defer { free(text) }
        return String(cString: text)
    }

    /// `ADDR[:PORT]`, with IPv6 in brackets when a port follows; port 53 when none is given.
    static func split(_ server: String) -> (String, UInt16)? {
        if server.hasPrefix("[") {
            guard let close = server.firstIndex(of: "]") else { return nil }
            let address = String(server[server.index(after: server.startIndex)..<close])
            let rest = server[server.index(after: close)...]
            if rest.isEmpty { return (address, 53) }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            return (address, port)
        }
        let parts = server.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (server, 53)
        case 2: return UInt16(parts[1]).map { (String(parts[0]), $0) }
        default: return (server, 53)  // a bare IPv6 address
        }
    }
}

public struct ResolverError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
