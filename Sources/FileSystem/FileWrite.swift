import Glibc

/// Writes a whole file at once (a temporary file in the same directory, then rename), so readers and directory
/// watchers never see half of it, and durably (file and directory synced), so a crash leaves the old version or
/// the new one. A failed write leaves no temporary file behind.
/// - Parameters:
///   - mode: the file's permissions; the temporary file is 0600 until then, so a key is never readable by others.
///   - owner: uid and gid to give the file (a server that drops privileges keeps replacing it).
public func writeFileAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644,
                                owner: (uid: uid_t, gid: gid_t)? = nil) throws(SystemError) {
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    // Hidden, so a walk that skips dot files never mistakes it for the file itself.
    var template = Array(joinPath(directory, ".\(name).XXXXXX").utf8CString)
    let descriptor = mkstemp(&template)
    guard descriptor >= 0 else { throw SystemError("create a temporary file for", path: path) }
    let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var renamed = false
    defer { if !renamed { unlink(temporary) } }
    do {
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw SystemError("write", path: temporary) }
            written += count
        }
        guard fchmod(descriptor, mode) == 0 else { throw SystemError("chmod", path: temporary) }
        if let owner, fchown(descriptor, owner.uid, owner.gid) != 0 { throw SystemError("chown", path: temporary) }
        guard fsync(descriptor) == 0 else { throw SystemError("fsync", path: temporary) }
    }
    guard rename(temporary, path) == 0 else { throw SystemError("rename \(temporary) to", path: path) }
    renamed = true
    try syncDirectory(directory)
}

/// fsync of a directory: makes a rename or a new entry in it durable.
public func syncDirectory(_ path: String) throws(SystemError) {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { throw SystemError("open", path: path) }
    defer { close(descriptor) }
    guard fsync(descriptor) == 0 else { throw SystemError("fsync", path: path) }
}
