import FileSystem
import Glibc

/// A root the watcher follows by path: the directory holding it is watched for entries of its name, so a root
/// deleted and recreated, or a symlink to it swapped with `mv -T`, is noticed and its new tree watched.
struct WatchedRoot: Sendable {
    /// As given to the watcher, and as it appears in reported paths.
    let path: String
    /// The directory holding the root and the root's name in it; nil for `/`, `.` and `..` (no entry to follow).
    let holder: (directory: String, name: String)?
    /// Where the root led at the latest scan that found it. When the root is a symlink, the directory holding its
    /// target is followed as well: a target deleted and made again is the root coming back.
    var resolved: String?
    /// Of the directory whose tree is watched now; nil while the root is missing.
    var identity: FileIdentity?
    /// The root directory's own watch. When the kernel drops it (the directory was deleted) nothing is watched any
    /// more, whatever the identity: a directory made in its place may get the same inode number.
    var watch: Int32?

    init(path: String) {
        self.path = path
        holder = Self.split(path)
    }

    /// The entries whose creation, deletion or renaming may make the root another directory: the root's own, and
    /// its target's.
    var followedEntries: [(directory: String, name: String)] {
        [holder, resolved.flatMap(Self.split)].compactMap { $0 }
    }

    /// `a/b/` -> (`a`, `b`), `b` -> (`.`, `b`), `/b` -> (`/`, `b`).
    static func split(_ path: String) -> (directory: String, name: String)? {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        let directory: String, name: Substring
        if let slash = trimmed.lastIndex(of: "/") {
            name = trimmed[trimmed.index(after: slash)...]
            directory = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
        } else {
            (directory, name) = (".", trimmed)
        }
        guard !name.isEmpty, name != ".", name != ".." else { return nil }
        return (directory, String(name))
    }
}

/// Which file a path names (symlinks followed), to tell a replaced directory from the one watched.
struct FileIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    static func of(_ path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }
}

/// The canonical path of `path`; when it does not exist yet (a state directory created at the first write), that of
/// its nearest existing ancestor followed by the rest, which is what it will resolve to once created.
func resolvedPathAllowingMissing(_ path: String) -> String {
    if let resolved = resolvedPath(path) { return resolved }
    guard let (directory, name) = WatchedRoot.split(path), directory != path else { return path }
    return joinPath(resolvedPathAllowingMissing(directory), name)
}
