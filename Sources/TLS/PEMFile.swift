internal import COpenSSL
import Glibc

/// Reads and writes single PEM objects. Writes go to a hidden temporary file that is renamed into place,
/// so a directory watcher never sees half a key, and the key's mode is set from the moment it exists.
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
        try store(bytes, at: path, mode: mode)
    }

    private static func store(_ bytes: [UInt8], at path: String, mode: mode_t) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = directory + "." + name + ".tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("creating \(temporary)") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let error = failure("writing \(temporary)")
                close(fd); unlink(temporary)
                throw error
            }
            written += count
        }
        let synced = fsync(fd) == 0
        guard close(fd) == 0, synced else {
            let error = failure("writing \(temporary)")
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("renaming \(temporary) to \(path)")
            unlink(temporary)
            throw error
        }
    }

    private static func failure(_ operation: String) -> TLSError {
        TLSError("\(operation): \(String(cString: strerror(errno)))", reasons: [])
    }
}
