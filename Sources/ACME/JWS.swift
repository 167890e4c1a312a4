import FoundationEssentials
import TLS

/// Signs ACME request bodies: JWS in the flattened JSON serialization (RFC 7515 §7.2.2) with ES256, the protected
/// header carrying the nonce and URL, and the account's `kid` or, before there is an account, its `jwk` (RFC 8555 §6.2).
enum JWS {
    struct ProtectedHeader: Encodable {
        let alg = "ES256"
        let nonce: String
        let url: String
        let jwk: JSONWebKey?
        let kid: String?
    }

    struct Flattened: Codable {
        let protected: String
        let payload: String
        let signature: String
    }

    /// `payload` nil is POST-as-GET (RFC 8555 §6.3): an empty payload, not `{}`.
    static func sign(payload: [UInt8]?, url: String, nonce: String, key: ACMESigningKey, keyID: String?) throws -> [UInt8] {
        let header = ProtectedHeader(nonce: nonce, url: url, jwk: keyID == nil ? key.jwk : nil, kid: keyID)
        let protected = Base64URL.encode(try encoder.encode(header))
        let encodedPayload = payload.map { Base64URL.encode($0) } ?? ""
        let signature = try key.signES256(Array("\(protected).\(encodedPayload)".utf8))
        return Array(try encoder.encode(Flattened(protected: protected, payload: encodedPayload,
                                                  signature: Base64URL.encode(signature))))
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
