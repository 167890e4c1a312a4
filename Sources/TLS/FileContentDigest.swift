internal import COpenSSL

/// SHA-256 over a certificate file and its key file: a reload that finds the same bytes again (a `touch`, a
/// re-deploy, a restore) keeps the parsed pair instead of parsing and holding a second copy.
struct FileContentDigest: Equatable, Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    init(certificate: [UInt8], key: [UInt8]) {
        var digest = [UInt8](repeating: 0, count: 32)
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        // The certificate's length first, so that moving bytes from one file to the other changes the digest.
        var length = UInt64(certificate.count).littleEndian
        _ = EVP_DigestInit_ex(context, EVP_sha256(), nil)
        _ = EVP_DigestUpdate(context, &length, 8)
        _ = EVP_DigestUpdate(context, certificate, certificate.count)
        _ = EVP_DigestUpdate(context, key, key.count)
        _ = EVP_DigestFinal_ex(context, &digest, nil)
        words = digest.withUnsafeBytes { raw in
            (raw.load(fromByteOffset: 0, as: UInt64.self), raw.load(fromByteOffset: 8, as: UInt64.self),
             raw.load(fromByteOffset: 16, as: UInt64.self), raw.load(fromByteOffset: 24, as: UInt64.self))
        }
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.words == rhs.words }
}
