import FileSystem
import Glibc
import TLS

/// Directory listing and bounded file reads with Glibc (no Foundation: binary size and memory).
extension PolicyDirectory {
    /// Senders read at most 64 KiB; one byte more is enough to know a file is too big.
    static let readLimit = 65_536

    enum ReadResult {
        /// The bytes, and the signature of the very file read: a write racing with the read shows up as a
        /// change next time.
        case bytes([UInt8], FileSignature)
        case failed(message: String, fix: String?)
    }

    /// Entry names, sorted (bytewise) so reports are stable, without `.` and `..`.
    static func entryNames(in directory: String) throws -> [String] {
        switch DirectoryListing.entries(of: directory) {
        case .success(let entries):
            return entries.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        case .failure(let error):
            throw SystemError("cannot \(error.operation) policy directory", path: directory, code: error.code)
        }
    }

    /// Follows symlinks, like the policy reader does.
    static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }

    /// Reads at most `readLimit + 1` bytes. O_NONBLOCK keeps a FIFO named `x.txt` from hanging the loader;
    /// it changes nothing for regular files.
    static func readPolicyFile(_ path: String) -> ReadResult {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            return .failed(message: "cannot open the file: \(reason)", fix: symlinkFix(path, errno: errno))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            return .failed(message: "cannot stat the file: \(String(cString: strerror(errno)))", fix: nil)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            return .failed(message: "not a regular file", fix: "a policy is a plain file (or a symlink to one)")
        }
        if status.st_size > readLimit {
            return .failed(message: "file is \(status.st_size) bytes, over the 65536-byte (64 KiB) limit",
                           fix: "senders stop reading at 64 KiB; shorten it")
        }
        // One byte more than the file claims, to notice one that grew while being read.
        var buffer = [UInt8](repeating: 0, count: min(Int(status.st_size), readLimit) + 1)
        var count = 0
        while count < buffer.count {
            let read = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(descriptor, raw.baseAddress! + count, raw.count - count)
            }
            if read > 0 {
                count += read
            } else if read == 0 {
                break
            } else if errno != EINTR {
                return .failed(message: "cannot read the file: \(String(cString: strerror(errno)))", fix: nil)
            }
        }
        buffer.removeSubrange(count...)
        return .bytes(buffer, FileSignature(status))
    }

    /// A dangling alias is the usual cause of ENOENT for a name that was just listed.
    private static func symlinkFix(_ path: String, errno code: Int32) -> String? {
        guard code == ENOENT || code == ELOOP else { return nil }
        var status = stat()
        guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK else { return nil }
        return "it is a symlink whose target is missing or loops; point it at an existing policy file"
    }
}
