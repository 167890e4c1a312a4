import FileSystem

/// Certificates by the DNS names they cover: an immutable snapshot, so SNI lookup is a pure function.
public struct CertificateIndex: Sendable {
    /// Every pair that loaded, in discovery order.
    public let pairs: [CertificateKeyPair]
    /// The pairs the ACME issuer wrote (under its directory); each serves only names no operator pair covers.
    public let issuedPairs: [CertificateKeyPair]
    private let issuedIdentities: Set<ObjectIdentifier>
    private let byName: [String: [CertificateKeyPair]]

    /// `issuedDirectory`: pairs below it are the ACME issuer's, and an operator's certificate wins over them for
    /// any name it covers, exactly or by wildcard.
    public init(pairs: [CertificateKeyPair], issuedDirectory: String? = nil) {
        self.pairs = pairs
        let issued = issuedDirectory.map { root in pairs.filter { isPath($0.certificatePath, within: root) } } ?? []
        let issuedIdentities = Set(issued.map(ObjectIdentifier.init))
        var byName = Self.byName(pairs.filter { !issuedIdentities.contains(ObjectIdentifier($0)) })
        for (name, pairs) in Self.byName(issued) where Self.match(name, in: byName) == nil {
            byName[name] = pairs
        }
        self.issuedPairs = issued
        self.issuedIdentities = issuedIdentities
        self.byName = byName
    }

    private static func byName(_ pairs: [CertificateKeyPair]) -> [String: [CertificateKeyPair]] {
        var byName: [String: [CertificateKeyPair]] = [:]
        for pair in pairs {
            for name in Set(pair.dnsNames) {
                // One pair per key type and name: OpenSSL holds one certificate per key type and picks per client.
                var existing = byName[name, default: []]
                if let index = existing.firstIndex(where: { $0.keyType == pair.keyType }) {
                    if pair.notAfter > existing[index].notAfter { existing[index] = pair }
                } else {
                    existing.append(pair)
                }
                byName[name] = existing
            }
        }
        return byName
    }

    /// The pairs for a TLS server name: the exact name first, then a wildcard covering its left-most label.
    public func pairs(forServerName name: String) -> [CertificateKeyPair]? {
        match(lowercasedName: name.lowercased())?.pairs
    }

    /// The pairs for an already lower-cased name, with the name as the index stores it when it is listed exactly:
    /// a connection keeping that copy shares its storage instead of holding a string of its own.
    func match(lowercasedName name: String) -> (name: String, pairs: [CertificateKeyPair])? {
        Self.match(name, in: byName)
    }

    private static func match(_ name: String, in byName: [String: [CertificateKeyPair]])
        -> (name: String, pairs: [CertificateKeyPair])? {
        if let exact = byName.index(forKey: name) { return (byName[exact].key, byName[exact].value) }
        guard let dot = name.firstIndex(of: "."), name.index(after: dot) < name.endIndex,
              let wildcard = byName["*" + name[dot...]] else { return nil }
        return (name, wildcard)
    }

    /// Whether some certificate covers this host name.
    public func covers(_ name: String) -> Bool { pairs(forServerName: name) != nil }

    /// Whether the ACME issuer wrote this pair.
    public func isIssued(_ pair: CertificateKeyPair) -> Bool { issuedIdentities.contains(ObjectIdentifier(pair)) }

    /// Whether an operator's certificate (not an issued one) covers this host name.
    public func coversWithOperatorCertificate(_ name: String) -> Bool {
        pairs(forServerName: name)?.contains { !issuedIdentities.contains(ObjectIdentifier($0)) } ?? false
    }
}
