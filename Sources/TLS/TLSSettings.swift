/// TLS policy shared by every host: documented defaults, filled from the command line.
public struct TLSSettings: Sendable {
    /// TLS 1.3 session tickets sent per full handshake; 0 disables tickets (and TLS 1.2 tickets) entirely.
    /// Default 0: senders fetch a policy once per max_age and almost never resume, so tickets are pure cost.
    public var sessionTickets: Int = 0
    /// ALPN protocols we accept, in our order of preference.
    public var alpnProtocols: [String] = ["h2", "http/1.1"]
    /// TLS 1.2 suites: ECDHE with AEAD only (Mozilla "intermediate" without DHE).
    public var tls12Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
    /// TLS 1.3 suites, OpenSSL's three, with AES-128-GCM first (OpenSSL's default puts AES-256-GCM-SHA384 first):
    /// the handshake's transcript hash and key schedule then use SHA-256, which has CPU instructions here.
    public var tls13Ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
    public var groups = "X25519:P-256"

    public init() {}
}
