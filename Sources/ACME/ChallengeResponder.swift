import TLS

/// Where the server answers TLS-ALPN-01: the client installs the challenge certificate before it tells the CA the
/// challenge is ready, and removes it when the authorization is decided (also when the order fails).
public protocol ChallengeResponder: Sendable {
    /// The server serves `certificate` to a ClientHello with ALPN `acme-tls/1` and SNI `name`.
    func install(name: String, certificate: CertificateKeyPair)
    func remove(name: String)
}

/// What an order produced: `fullchain.pem` and `privkey.pem` for the certificate folder.
public struct IssuedCertificate: Sendable {
    public let fullChainPEM: String
    public let privateKeyPEM: String

    public init(fullChainPEM: String, privateKeyPEM: String) {
        self.fullChainPEM = fullChainPEM
        self.privateKeyPEM = privateKeyPEM
    }
}
