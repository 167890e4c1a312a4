import DNSClient

/// What `serve --dns-update ...` (and `dns --update`) configures.
public struct PublicationSettings: Sendable {
    /// `ADDR[:PORT]` of the primary authoritative server that accepts the updates.
    public var server: String
    /// Signs every update; nil sends them unsigned (only for a server that accepts updates by address).
    public var key: TSIGKey?
    /// The zone the records are in; nil: each name's zone is found by its SOA on `server`.
    public var zone: String?
    public var ttl = 300
    /// Where each domain's record lives, `{domain}` standing for the mail domain.
    public var nameTemplate = PublicationName.standardTemplate
    /// Delete the record of a domain no longer served (else it is left, and the log says so).
    public var removesRetiredDomains = false
    /// Updates in flight at once.
    public var maxInFlight = 8

    public init(server: String, key: TSIGKey?, zone: String?) {
        self.server = server
        self.key = key
        self.zone = zone
    }

    /// The owner name of `domain`'s `_mta-sts` TXT record.
    public func recordName(for domain: String) -> String {
        PublicationName.render(nameTemplate, domain: domain)
    }
}
