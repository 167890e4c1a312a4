internal import CLDNS
import Glibc

/// Changes records on one authoritative server by RFC 2136 dynamic update, signed with TSIG (RFC 8945) when a
/// key is given; the current records are read from that same server, never from a cache. Blocking: call it off
/// the event loops. One instance per thread.
public final class DNSUpdater {
    private let sender: UnsafeMutablePointer<ldns_resolver>
    private let reader: DNSResolver
    private let server: String

    /// `server` is `ADDR[:PORT]`, as `DNSResolver` takes it.
    public init(server: String, key: TSIGKey?, timeoutSeconds: Int = 3) throws(ResolverError) {
        reader = try DNSResolver(server: server, timeoutSeconds: timeoutSeconds)
        let made = try ResolverToOneServer.make(server)
        ldns_resolver_set_timeout(made, timeval(tv_sec: timeoutSeconds, tv_usec: 0))
        // An update is not idempotent in general; ours is (delete exact records, add one), but a lost answer is
        // the caller's back-off to retry, not a second datagram's.
        ldns_resolver_set_retry(made, 1)
        if let key {
            // With these set, ldns signs the update and checks the signature of the answer.
            ldns_resolver_set_tsig_keyname(made, key.name + ".")
            ldns_resolver_set_tsig_algorithm(made, key.algorithm.wireName)
            ldns_resolver_set_tsig_keydata(made, key.secret)
        }
        sender = made
        self.server = server
    }

    deinit {
        ldns_resolver_deep_free(sender)
    }

    /// The zone `name` belongs to on this server: the closest enclosing name with an SOA record.
    public func zone(of name: String) -> Result<String, DNSUpdateError> {
        var labels = DNSName.normalized(name).split(separator: ".").map(String.init)
        while !labels.isEmpty {
            let candidate = labels.joined(separator: ".")
            switch hasSOA(candidate) {
            case .some(true): return .success(candidate)
            case .some(false): labels.removeFirst()
            case .none:
                // No answer at all: asking about the enclosing names would only wait out the same timeout again.
                return .failure(DNSUpdateError("\(server) did not answer the SOA query for \(candidate) (timed out or unreachable)"))
            }
        }
        return .failure(DNSUpdateError("no zone on \(server) holds \(name) (no SOA at any enclosing name); pass the zone"))
    }

    /// Makes the TXT records at `name` that start with `prefix` exactly one, `value`, in one UPDATE (or none, when
    /// `value` is nil): each other such record is deleted by its exact data and `value` added, so the rest of the
    /// TXT records at the name stay as they are. Nothing is sent when the records are already so.
    public func replaceText(at name: String, in zone: String, prefix: String, with value: String?,
                            ttl: Int, dryRun: Bool = false) -> Result<DNSUpdateChange, DNSUpdateError> {
        guard let owner = ldns_dname_new_frm_str(name) else { return .failure(DNSUpdateError("\(name) is not a valid DNS name")) }
        defer { ldns_rdf_deep_free(owner) }
        let current: [(text: String, record: UnsafeMutablePointer<ldns_rr>)]
        switch readText(owner) {
        case .failure(let error): return .failure(error)
        case .success(let records): current = records
        }
        defer { for record in current { ldns_rr_free(record.record) } }
        let matching = current.filter { $0.text.hasPrefix(prefix) }
        let stale = matching.filter { $0.text != value }
        let present = matching.contains { $0.text == value }
        if stale.isEmpty && (value == nil || present) { return .success(.unchanged) }

        guard let updates = ldns_rr_list_new() else { return .failure(DNSUpdateError("out of memory")) }
        defer { ldns_rr_list_deep_free(updates) }
        for record in stale {
            // Class NONE, TTL 0: delete this record only (RFC 2136 §2.5.4).
            guard let deletion = ldns_rr_clone(record.record) else { return .failure(DNSUpdateError("out of memory")) }
            ldns_rr_set_class(deletion, LDNS_RR_CLASS_NONE)
            ldns_rr_set_ttl(deletion, 0)
            ldns_rr_list_push_rr(updates, deletion)
        }
        if let value, !present {
            var made: UnsafeMutablePointer<ldns_rr>?
            let text = "\(DNSName.absolute(name)) \(ttl) IN TXT \(Self.quoted(value))"
            let status = ldns_rr_new_frm_str(&made, text, 0, nil, nil)
            guard status == LDNS_STATUS_OK, let made else {
                return .failure(DNSUpdateError("cannot make the record \(text): \(String(cString: ldns_get_errorstr_by_id(status)))"))
            }
            ldns_rr_list_push_rr(updates, made)
        }
        return send(updates, zone: zone, dryRun: dryRun).map { preview in
            if let preview { return .wouldSend(preview) }
            return stale.isEmpty ? .added : .replaced(stale.count)
        }
    }

    /// Sends the update, or with `dryRun` returns it as text (unsigned) without sending it.
    private func send(_ updates: UnsafeMutablePointer<ldns_rr_list>, zone: String,
                      dryRun: Bool) -> Result<String?, DNSUpdateError> {
        guard let zoneName = ldns_dname_new_frm_str(DNSName.absolute(zone)) else {
            return .failure(DNSUpdateError("\(zone) is not a valid zone name"))
        }
        defer { ldns_rdf_deep_free(zoneName) }
        guard let packet = ldns_update_pkt_new(ldns_rdf_clone(zoneName), LDNS_RR_CLASS_IN, nil, updates, nil) else {
            return .failure(DNSUpdateError("cannot make the update"))
        }
        // The packet owns the zone name given to it and copies the lists.
        defer { ldns_pkt_free(packet) }
        ldns_pkt_set_rd(packet, 0)
        if dryRun {
            guard let text = ldns_pkt2str(packet) else { return .failure(DNSUpdateError("out of memory")) }
            defer { free(text) }
            return .success(String(cString: text))
        }
        if ldns_resolver_tsig_keyname(sender) != nil {
            let status = ldns_update_pkt_tsig_add(packet, sender)
            guard status == LDNS_STATUS_OK else {
                return .failure(DNSUpdateError("cannot sign the update: \(String(cString: ldns_get_errorstr_by_id(status)))"))
            }
        }
        var answer: UnsafeMutablePointer<ldns_pkt>?
        // ldns_send, not ldns_resolver_send_pkt: it keeps an answer whose signature does not verify, which is how
        // a server rejects a wrong key (NOTAUTH, unsigned), so the RCODE and TSIG error can be reported.
        let status = ldns_send(&answer, sender, packet)
        defer { if let answer { ldns_pkt_free(answer) } }
        if let answer, ldns_pkt_get_rcode(answer) != LDNS_RCODE_NOERROR {
            return .failure(DNSUpdateError("\(server) refused the update of \(zone): \(Self.rcode(of: answer))"))
        }
        guard status == LDNS_STATUS_OK, answer != nil else {
            return .failure(DNSUpdateError("update of \(zone) at \(server): \(String(cString: ldns_get_errorstr_by_id(status)))"))
        }
        return .success(nil)
    }

    /// The TXT records at `owner`, each with its strings joined (as RFC 8461 reads them); the caller frees them.
    private func readText(_ owner: UnsafeMutablePointer<ldns_rdf>)
        -> Result<[(text: String, record: UnsafeMutablePointer<ldns_rr>)], DNSUpdateError> {
        var packet: UnsafeMutablePointer<ldns_pkt>?
        let status = reader.send(owner, type: LDNS_RR_TYPE_TXT, into: &packet)
        guard status == LDNS_STATUS_OK, let packet else {
            return .failure(DNSUpdateError("reading the TXT records from \(server): \(String(cString: ldns_get_errorstr_by_id(status)))"))
        }
        defer { ldns_pkt_free(packet) }
        switch ldns_pkt_get_rcode(packet) {
        case LDNS_RCODE_NOERROR, LDNS_RCODE_NXDOMAIN: break
        default: return .failure(DNSUpdateError("reading the TXT records from \(server): \(Self.rcode(of: packet))"))
        }
        guard let records = ldns_pkt_rr_list_by_type(packet, LDNS_RR_TYPE_TXT, LDNS_SECTION_ANSWER) else { return .success([]) }
        defer { ldns_rr_list_deep_free(records) }
        return .success((0..<ldns_rr_list_rr_count(records)).compactMap { index -> (text: String, record: UnsafeMutablePointer<ldns_rr>)? in
            guard let record = ldns_rr_list_rr(records, index), ldns_dname_compare(ldns_rr_owner(record), owner) == 0,
                  let copy = ldns_rr_clone(record) else { return nil }
            return (DNSResolver.joinedText(copy), copy)
        })
    }

    private func hasSOA(_ name: String) -> Bool? {
        guard let owner = ldns_dname_new_frm_str(name) else { return nil }
        defer { ldns_rdf_deep_free(owner) }
        var packet: UnsafeMutablePointer<ldns_pkt>?
        guard reader.send(owner, type: LDNS_RR_TYPE_SOA, into: &packet) == LDNS_STATUS_OK, let packet else { return nil }
        defer { ldns_pkt_free(packet) }
        guard let records = ldns_pkt_rr_list_by_type(packet, LDNS_RR_TYPE_SOA, LDNS_SECTION_ANSWER) else { return false }
        defer { ldns_rr_list_deep_free(records) }
        return ldns_rr_list_rr_count(records) > 0
    }

    /// The RCODE, and the TSIG error when the server gave one (BADSIG, BADKEY, BADTIME: the key is wrong).
    private static func rcode(of packet: UnsafeMutablePointer<ldns_pkt>) -> String {
        let code = ldns_pkt_get_rcode(packet)
        let text = ldns_pkt_rcode2str(code)
        defer { free(text) }
        var description = text.map { String(cString: $0) } ?? "rcode \(code.rawValue)"
        if let tsig = ldns_pkt_tsig(packet), ldns_rr_rd_count(tsig) > 5, let field = ldns_rr_rdf(tsig, 5) {
            let error = ldns_rdf2native_int16(field)
            let names: [UInt16: String] = [16: "BADSIG", 17: "BADKEY", 18: "BADTIME", 22: "BADTRUNC"]
            if error != 0 { description += " (TSIG \(names[error] ?? "error \(error)"))" }
        }
        return description
    }

    /// A TXT value in zone-file syntax: quoted, with `"` and `\` escaped.
    static func quoted(_ value: String) -> String {
        var quoted = "\""
        for character in value {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }
}

/// What an update did.
public enum DNSUpdateChange: Sendable, Equatable {
    /// The records were already as asked: nothing was sent.
    case unchanged
    /// The value was added; no older record matched.
    case added
    /// This many older records were deleted (and the value added, unless removing).
    case replaced(Int)
    /// Not sent (a dry run): the update, as text.
    case wouldSend(String)
}

public struct DNSUpdateError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
