internal import COpenSSL

/// SHA-256 through libcrypto, for what the ACME client hashes (JWK thumbprints, key authorizations).
public enum SHA256Digest {
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        // EVP_Digest only fails when libcrypto cannot allocate a context; an all-zero digest then matches nothing.
        _ = EVP_Digest(bytes, bytes.count, &digest, nil, EVP_sha256(), nil)
        return digest
    }
}
