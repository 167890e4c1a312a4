import Glibc

/// One directory entry: its name and readdir's type (`DT_REG`, `DT_DIR`, `DT_LNK`, or `DT_UNKNOWN` where the file
/// system does not say; symlinks are the caller's to resolve).
public struct DirectoryEntry: Sendable {
    public let name: String
    public let type: Int32
}

/// opendir/readdir/closedir and the decoding of `d_name` in one place, without `.` and `..`.
public enum DirectoryListing {
    /// The entries of `path`, or why it cannot be listed (operation `open` or `read`, with `path`).
    /// - Parameter including: decides by type before a name is made, so a walk that skips regular files does
    ///   not build a string for each of 50,000 of them.
    public static func entries(of path: String, including: (Int32) -> Bool = { _ in true })
        -> Result<[DirectoryEntry], SystemError> {
        guard let stream = opendir(path) else { return .failure(SystemError("open", path: path)) }
        defer { closedir(stream) }
        var entries: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                return errno == 0 ? .success(entries) : .failure(SystemError("read", path: path))
            }
            let type = Int32(entry.pointee.d_type)
            guard including(type) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != ".", name != ".." { entries.append(DirectoryEntry(name: name, type: type)) }
        }
    }
}
