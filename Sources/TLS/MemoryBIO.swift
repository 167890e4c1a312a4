internal import COpenSSL

/// Runs an OpenSSL writer (PEM_write_bio_*, i2d_*_bio: 1 on success) against a memory BIO and returns what it
/// wrote, so nothing in memory goes through a file.
enum MemoryBIO {
    static func bytes(_ operation: String, _ render: (OpaquePointer) -> Int32) throws -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw TLSError.drain("BIO_new") }
        defer { BIO_free(bio) }
        guard render(bio) == 1 else { throw TLSError.drain(operation) }
        var bytes = [UInt8](repeating: 0, count: BIO_ctrl_pending(bio))
        guard BIO_read(bio, &bytes, Int32(bytes.count)) == Int32(bytes.count) else { throw TLSError.drain(operation) }
        return bytes
    }

    static func text(_ operation: String, _ render: (OpaquePointer) -> Int32) throws -> String {
        var bytes = try bytes(operation, render)
        // Private keys pass through here: leave no copy in freed memory.
        defer { OPENSSL_cleanse(&bytes, bytes.count) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
