internal import COpenSSL

/// An ECDSA P-256 key that signs JWS with ES256 (RFC 7518 §3.4): the ACME account key. Immutable once made.
public final class ACMESigningKey: @unchecked Sendable {
    let key: PrivateKey
    /// The public key as a JWK, computed once: it goes into every newAccount request and every thumbprint.
    public let jwk: JSONWebKey

    private init(key: PrivateKey) throws {
        guard EVP_PKEY_get_base_id(key.pointer) == EVP_PKEY_EC, Self.groupName(of: key) == "prime256v1" else {
            throw TLSError("an ACME account key must be ECDSA P-256 (ES256)", reasons: [])
        }
        self.key = key
        self.jwk = JSONWebKey(crv: "P-256", kty: "EC",
                              x: Base64URL.encode(try Self.coordinate("qx", of: key)),
                              y: Base64URL.encode(try Self.coordinate("qy", of: key)))
    }

    public static func generate() throws -> ACMESigningKey {
        ERR_clear_error()
        return try ACMESigningKey(key: PrivateKey.generateEC(curve: "P-256"))
    }

    /// Reads a key stored by `pem()` (or any PEM P-256 private key).
    public convenience init(pem: String) throws {
        ERR_clear_error()
        try self.init(key: PrivateKey.decode(pem: pem))
    }

    /// PKCS#8 PEM, to store mode 0600 and read back with `init(pem:)`.
    public func pem() throws -> String { try key.pkcs8PEM() }

    /// The RFC 7638 thumbprint of `jwk`.
    public var thumbprint: String { jwk.thumbprint }

    /// ES256 over `data`: SHA-256, ECDSA, and the signature as JWS wants it, r || s with each left-padded to 32
    /// bytes (OpenSSL returns the DER SEQUENCE of two INTEGERs).
    public func signES256(_ data: [UInt8]) throws -> [UInt8] {
        ERR_clear_error()
        guard let context = EVP_MD_CTX_new() else { throw TLSError.drain("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(context) }
        var length = 0
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key.pointer) == 1,
              EVP_DigestSign(context, nil, &length, data, data.count) == 1
        else { throw TLSError.drain("starting an ES256 signature") }
        var der = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &der, &length, data, data.count) == 1 else {
            throw TLSError.drain("signing with ES256")
        }
        return try ECDSASignature.raw(fromDER: Array(der.prefix(length)), width: 32)
    }

    private static func groupName(of key: PrivateKey) -> String? {
        var name = [CChar](repeating: 0, count: 64)
        guard EVP_PKEY_get_group_name(key.pointer, &name, name.count, nil) == 1 else { return nil }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// One affine coordinate of the public point ("qx" or "qy"), 32 bytes big-endian.
    private static func coordinate(_ parameter: String, of key: PrivateKey) throws -> [UInt8] {
        var number: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(key.pointer, parameter, &number) == 1, let number else {
            throw TLSError.drain("reading the public key's \(parameter)")
        }
        defer { BN_free(number) }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard BN_bn2binpad(number, &bytes, 32) == 32 else { throw TLSError.drain("encoding \(parameter)") }
        return bytes
    }
}
