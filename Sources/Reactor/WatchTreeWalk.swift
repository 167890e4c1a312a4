import FileSystem
import Glibc

/// A directory watched inside a root's tree: the path events are reported under, and where it really is (for the
/// exclusions and for keeping the walk inside the root).
struct WatchedDirectory: Sendable, Equatable {
    let path: String
    let resolved: String
}

/// Adds inotify watches for the directories of one root's tree. It stays inside the tree: a directory symlink whose
/// target is outside the root is not followed (`ln -s / certs/all` would otherwise watch the whole filesystem), and
/// excluded directories (the server's state directory) are neither watched nor entered.
struct WatchTreeWalk: Sendable {
    let descriptor: Int32
    let mask: UInt32
    let resolvedRoot: String
    /// Resolved paths never watched, nor anything below them.
    let excluded: [String]

    struct Found {
        var watches: [(Int32, WatchedDirectory)] = []
        /// Directory symlinks not followed because they leave the root, as walked.
        var linksLeaving: [String] = []
    }

    func isExcluded(_ resolved: String) -> Bool {
        excluded.contains { isPath(resolved, within: $0) }
    }

    /// Watches `directory` if it is a directory (or a symlink to one): IN_ONLYDIR answers that without a stat.
    func watch(_ directory: WatchedDirectory) -> Int32? {
        guard !isExcluded(directory.resolved) else { return nil }
        let watch = inotify_add_watch(descriptor, directory.path, mask | UInt32(IN_ONLYDIR))
        return watch >= 0 ? watch : nil
    }

    /// Depth first from `directory`; `seen` holds the watches met so far, which stops symlink loops (a directory
    /// keeps its watch descriptor however it is reached).
    func walk(_ directory: WatchedDirectory, seen: inout Set<Int32>, into found: inout Found) {
        guard let watch = watch(directory), seen.insert(watch).inserted else { return }
        found.watches.append((watch, directory))
        for child in subdirectories(of: directory, linksLeaving: &found.linksLeaving) {
            walk(child, seen: &seen, into: &found)
        }
    }

    /// The entries of a directory that are directories or symlinks to directories inside the root, without hidden
    /// names (Kubernetes' timestamped copies, reached through `..data`, and VCS metadata).
    func subdirectories(of directory: WatchedDirectory, linksLeaving: inout [String]) -> [WatchedDirectory] {
        // Files are not watched (their directory is): skipped before a name is made, which matters at 150,000 entries.
        guard case .success(let entries) = DirectoryListing.entries(of: directory.path, including: { $0 != Int32(DT_REG) })
        else { return [] }
        var found: [WatchedDirectory] = []
        for entry in entries {
            var type = entry.type
            let name = entry.name
            if name.hasPrefix(".") { continue }
            let path = directory.path + "/" + name
            if type == Int32(DT_UNKNOWN) { type = Self.lstatType(path) }
            if type == Int32(DT_DIR) {
                found.append(WatchedDirectory(path: path, resolved: joinPath(directory.resolved, name)))
            } else if type == Int32(DT_LNK), Self.isDirectory(path), let resolved = resolvedPath(path) {
                if isPath(resolved, within: resolvedRoot) {
                    found.append(WatchedDirectory(path: path, resolved: resolved))
                } else {
                    linksLeaving.append(path)
                }
            }
        }
        return found
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// The `d_type` of an entry on a file system whose directory entries carry none.
    private static func lstatType(_ path: String) -> Int32 {
        var info = stat()
        guard lstat(path, &info) == 0 else { return Int32(DT_UNKNOWN) }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return Int32(DT_DIR)
        case S_IFLNK: return Int32(DT_LNK)
        default: return Int32(DT_UNKNOWN)
        }
    }
}
