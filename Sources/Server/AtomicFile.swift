import FileSystem
import Glibc
import Reactor

/// Writes a whole file at once (temporary file + rename), so readers never see half of it, and durably (file and
/// directory synced), so a crash leaves the old version or the new one. A failed write leaves no temporary file.
enum AtomicFile {
    /// - Parameter owner: uid and gid to give the file (a server that drops privileges keeps writing it).
    static func write(_ text: String, to path: String, owner: (uid: uid_t, gid: gid_t)? = nil) throws {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        var template = Array(joinPath(directory, ".\(path.split(separator: "/").last ?? "file").XXXXXX").utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { throw SystemError("create a temporary file for \(path)") }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var renamed = false
        defer {
            if !renamed { unlink(temporary) }
        }
        do {
            defer { close(descriptor) }
            let bytes = Array(text.utf8)
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { throw SystemError("write \(temporary)") }
                written += count
            }
            guard fchmod(descriptor, 0o644) == 0 else { throw SystemError("chmod \(temporary)") }
            if let owner, fchown(descriptor, owner.uid, owner.gid) != 0 { throw SystemError("chown \(temporary)") }
            guard fsync(descriptor) == 0 else { throw SystemError("fsync \(temporary)") }
        }
        guard rename(temporary, path) == 0 else { throw SystemError("rename \(temporary) to \(path)") }
        renamed = true
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw SystemError("open \(directory)") }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw SystemError("fsync \(directory)") }
    }
}
