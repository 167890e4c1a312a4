/// Where a catalog is loaded from, and how: the part of `serve`'s configuration the catalog needs.
public struct CatalogSources: Sendable {
    public var policiesDirectory: String
    public var certificatesDirectory: String
    /// Where the ACME issuer writes its certificates (`<state dir>/acme/certificates`), loaded after
    /// `certificatesDirectory`, whose certificates win for any name both cover. Nil without ACME.
    public var issuedCertificatesDirectory: String?
    /// Certificate and routing for clients that send no SNI.
    public var defaultHost: String?
    /// Resolved paths never walked (the state directory).
    public var excludedPaths: [String]
    /// Changed certificate pairs parsed per reload pass; 0 parses every change in one pass.
    public var reloadCertificateBatch: Int

    public init(policiesDirectory: String, certificatesDirectory: String, defaultHost: String? = nil,
                excludedPaths: [String] = [], reloadCertificateBatch: Int = 0,
                issuedCertificatesDirectory: String? = nil) {
        self.issuedCertificatesDirectory = issuedCertificatesDirectory
        self.policiesDirectory = policiesDirectory
        self.certificatesDirectory = certificatesDirectory
        self.defaultHost = defaultHost
        self.excludedPaths = excludedPaths
        self.reloadCertificateBatch = reloadCertificateBatch
    }
}
