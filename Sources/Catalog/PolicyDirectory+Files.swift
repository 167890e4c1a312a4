import FileSystem
import Glibc
import TLS

/// Directory listing and bounded file reads with Glibc (no Foundation: binary size and memory).
extension PolicyDirectory {
    /// Senders read at most 64 KiB.
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

    /// Reads the file if it is a regular file of at most `readLimit` bytes (`readFile`).
    static func readPolicyFile(_ path: String) -> ReadResult {
        let contents: FileContents
        do {
            contents = try readFile(path, limit: readLimit)
        } catch {
            switch error {
            case .failed(let error):
                let fix = error.operation == "open" ? symlinkFix(path, errno: error.code) : nil
                return .failed(message: "cannot \(error.operation) the file: \(error.reason)", fix: fix)
            case .notRegularFile:
                return .failed(message: "not a regular file", fix: "a policy is a plain file (or a symlink to one)")
            case .tooLarge(let bytes):
                return .failed(message: "file is \(bytes) bytes, over the 65536-byte (64 KiB) limit",
                               fix: "senders stop reading at 64 KiB; shorten it")
            }
        }
        return .bytes(contents.bytes, FileSignature(contents.status))
    }

    /// A dangling alias is the usual cause of ENOENT for a name that was just listed.
    private static func symlinkFix(_ path: String, errno code: Int32) -> String? {
        guard code == ENOENT || code == ELOOP else { return nil }
        var status = stat()
        guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK else { return nil }
        return "it is a symlink whose target is missing or loops; point it at an existing policy file"
    }
}
