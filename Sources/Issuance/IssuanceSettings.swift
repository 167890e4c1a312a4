/// What `serve --acme-directory ...` configures.
public struct IssuanceSettings: Sendable {
    /// The CA's ACME directory, e.g. Let's Encrypt's https://acme-v02.api.letsencrypt.org/directory.
    public var directoryURL: String
    /// `mailto:` contact for the account (expiry notices), optional.
    public var contactEmail: String?
    /// Extra CA certificates (PEM) trusted for HTTPS to the ACME server, besides the system's.
    public var trustBundlePath: String?
    /// `ADDR[:PORT]` of the DNS server asked whether a name resolves before it is ordered; nil: /etc/resolv.conf.
    public var resolver: String?
    /// The account and the issued certificates (`--acme-dir`, by default `<state dir>/acme`).
    public var directory: String
    /// Orders in flight at once.
    public var maxOrdersInFlight = 4

    public init(directoryURL: String, contactEmail: String?, trustBundlePath: String?, resolver: String?,
                directory: String) {
        self.directoryURL = directoryURL
        self.contactEmail = contactEmail
        self.trustBundlePath = trustBundlePath
        self.resolver = resolver
        self.directory = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }

    /// Where issued certificates go, one folder per name (`fullchain.pem`, `privkey.pem`).
    public var certificatesDirectory: String { directory + "/certificates" }
    var accountKeyPath: String { directory + "/account.key" }
    var accountRecordPath: String { directory + "/account.json" }
}
