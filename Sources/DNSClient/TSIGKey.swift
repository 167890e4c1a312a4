/// A shared secret for signing DNS messages (TSIG, RFC 8945): what BIND's `tsig-keygen` and Knot's `keymgr -t`
/// print, and what the authoritative server's configuration names in its `update-policy`.
public struct TSIGKey: Sendable, Equatable {
    /// The key's name, lower-cased, without the final dot (BIND compares names without case).
    public let name: String
    public let algorithm: Algorithm
    /// Base64, as in the key file; ldns decodes it.
    public let secret: String

    public init(name: String, algorithm: Algorithm, secret: String) {
        self.name = DNSName.normalized(name)
        self.algorithm = algorithm
        self.secret = secret
    }

    /// The HMAC algorithms both BIND and ldns sign with.
    public enum Algorithm: String, Sendable, CaseIterable {
        case hmacMD5 = "hmac-md5"
        case hmacSHA1 = "hmac-sha1"
        case hmacSHA224 = "hmac-sha224"
        case hmacSHA256 = "hmac-sha256"
        case hmacSHA512 = "hmac-sha512"

        /// The algorithm's name in the TSIG record, as ldns expects it.
        var wireName: String { self == .hmacMD5 ? "hmac-md5.sig-alg.reg.int." : rawValue + "." }
    }
}
