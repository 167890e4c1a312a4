internal import COpenSSL
import FileSystem
import Glibc

/// Reads and writes single PEM objects. Writes are atomic and durable (`writeFileAtomically`): a directory
/// watcher never sees half a key, and the key is never readable by others, not even for a moment.
enum PEMFile {
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static func readCertificate(_ path: String) throws -> X509Certificate {
        guard let bio = BIO_new_file(path, "r") else { throw TLSError.drain("cannot open \(path)") }
        defer { BIO_free(bio) }
        guard let certificate = PEM_read_bio_X509(bio, nil, nil, nil) else {
            throw TLSError.drain("no certificate in \(path)")
        }
        return X509Certificate(owning: certificate)
    }

    static func readKey(_ path: String) throws -> PrivateKey {
        guard let bio = BIO_new_file(path, "r") else { throw TLSError.drain("cannot open \(path)") }
        defer { BIO_free(bio) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else {
            throw TLSError.drain("cannot read a private key from \(path)")
        }
        return PrivateKey(owning: key)
    }

    /// Renders PEM with `render` (an OpenSSL PEM_write_bio_* call, 1 on success) and stores it at `path`.
    static func write(_ path: String, mode: mode_t, _ render: (OpaquePointer) -> Int32) throws {
        guard let bio = BIO_new(BIO_s_mem()) else { throw TLSError.drain("BIO_new") }
        defer { BIO_free(bio) }
        guard render(bio) == 1 else { throw TLSError.drain("encoding \(path)") }
        var bytes = [UInt8](repeating: 0, count: BIO_ctrl_pending(bio))
        guard BIO_read(bio, &bytes, Int32(bytes.count)) == Int32(bytes.count) else {
            throw TLSError.drain("encoding \(path)")
        }
        // The PEM text of a private key should not linger in freed memory.
        defer { OPENSSL_cleanse(&bytes, bytes.count) }
        do {
            try writeFileAtomically(bytes, to: path, mode: mode)
        } catch {
            throw TLSError("\(error)", reasons: [])
        }
    }
}
