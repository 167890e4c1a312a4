internal import COpenSSL

extension PrivateKey {
    /// The key as PKCS#8 PEM text (`-----BEGIN PRIVATE KEY-----`), unencrypted: callers store it mode 0600.
    func pkcs8PEM() throws -> String {
        try MemoryBIO.text("encoding a private key") { PEM_write_bio_PKCS8PrivateKey($0, pointer, nil, nil, 0, nil, nil) }
    }

    /// Reads the first private key in PEM text (PKCS#8 or the traditional forms).
    static func decode(pem: String) throws -> PrivateKey {
        var text = Array(pem.utf8)
        defer { OPENSSL_cleanse(&text, text.count) }
        let parsed = text.withUnsafeMutableBytes { raw -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let parsed else { throw TLSError.drain("reading a PEM private key") }
        return PrivateKey(owning: parsed)
    }
}
