internal import CLDNS

/// An ldns resolver that asks one server, `ADDR[:PORT]`: what `--resolver` and `--dns-update` name. Shared by
/// `DNSResolver` (queries) and `DNSUpdater` (updates), which set their own timeouts, retries and keys on it.
enum ResolverToOneServer {
    /// The caller owns the result (`ldns_resolver_deep_free`).
    static func make(_ server: String) throws(ResolverError) -> UnsafeMutablePointer<ldns_resolver> {
        guard let (address, port) = DNSResolver.split(server) else {
            throw ResolverError("\(server): expected ADDR[:PORT]")
        }
        let type = address.contains(":") ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A
        guard let rdf = ldns_rdf_new_frm_str(type, address) else {
            throw ResolverError("\(server): \(address) is not an IP address")
        }
        defer { ldns_rdf_deep_free(rdf) }
        guard let resolver = ldns_resolver_new() else { throw ResolverError("cannot make a resolver") }
        ldns_resolver_push_nameserver(resolver, rdf)
        ldns_resolver_set_port(resolver, port)
        return resolver
    }
}
