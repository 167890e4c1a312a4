/// The public half of an ECDSA P-256 key as a JSON Web Key (RFC 7517/7518 §6.2): what an ACME account is known by.
public struct JSONWebKey: Codable, Equatable, Sendable {
    public let crv: String
    public let kty: String
    /// The affine coordinates, base64url, each exactly 32 bytes (left-padded with zeros) as RFC 7518 §6.2.1.2 asks.
    public let x: String
    public let y: String

    /// RFC 7638 §3: only the required members, ordered lexicographically, no white space. The values are base64url
    /// and fixed names, so none needs escaping.
    public var canonicalJSON: String {
        #"{"crv":"\#(crv)","kty":"\#(kty)","x":"\#(x)","y":"\#(y)"}"#
    }

    /// The RFC 7638 thumbprint: base64url(SHA-256(canonical JSON)), the second half of a key authorization.
    public var thumbprint: String {
        Base64URL.encode(SHA256Digest.hash(Array(canonicalJSON.utf8)))
    }
}
