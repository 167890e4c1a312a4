import Glibc

/// One directory entry: its name and readdir's type (`DT_REG`, `DT_DIR`, `DT_LNK`, or `DT_UNKNOWN` where the file
/// system does not say; symlinks are the caller's to resolve).
public struct DirectoryEntry: Sendable {
    public let name: String
    public let type: Int32
}

/// opendir/readdir/closedir and the decoding of `d_name` in one place, without `.` and `..`.
public enum DirectoryListing {
    /// The entries of `path`, or errno when it cannot be opened or read.
    /// - Parameter including: decides by type before a name is made, so a walk that skips regular files does
    ///   not build a string for each of 50,000 of them.
    public static func entries(of path: String, including: (Int32) -> Bool = { _ in true })
        -> Result<[DirectoryEntry], DirectoryListingError> {
        guard let stream = opendir(path) else { return .failure(DirectoryListingError(operation: "open", code: errno)) }
        defer { closedir(stream) }
        var entries: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                return errno == 0 ? .success(entries) : .failure(DirectoryListingError(operation: "read", code: errno))
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

/// Why a directory could not be listed: errno from opendir or readdir.
public struct DirectoryListingError: Error, Sendable {
    /// `open` or `read`.
    public let operation: String
    public let code: Int32
}
