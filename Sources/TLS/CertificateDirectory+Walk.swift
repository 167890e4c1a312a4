import Glibc
import FileSystem

extension CertificateDirectory {
    /// What a walk of the tree found.
    public struct Scan: Sendable {
        public var candidates: [Candidate] = []
        /// `<link>: directory symlink leaves <root>; not followed`, once per link.
        public var symlinksNotFollowed: [String] = []
        /// `cannot read directory <path>: <reason>` for directories below the root.
        public var unreadableDirectories: [SystemError] = []
    }

    /// The pairs below `root`; throws only when the root itself cannot be listed.
    public static func find(in root: String, excluding: [String] = []) throws -> [Candidate] {
        try scan(root, excluding: excluding).candidates
    }

    /// Walks the tree (following symlinks that stay inside it, skipping hidden entries such as Kubernetes'
    /// `..2024_...` copies and the directories in `excluding`). The directories just below the root are walked on
    /// lanes, as their pairs are parsed: after a reboot, with the tree out of the page cache, one thread waiting for
    /// each directory in turn is most of a cold start.
    public static func scan(_ root: String, excluding: [String] = []) throws(SystemError) -> Scan {
        var info = stat()
        guard stat(root, &info) == 0 else { throw unreadableDirectory(root) }
        let rootIdentity = DirectoryIdentity(info)
        // By device and inode: the walk stats every directory anyway, so no path needs resolving to compare.
        let excluded = Set(excluding.compactMap { path -> DirectoryIdentity? in
            var info = stat()
            return stat(path, &info) == 0 ? DirectoryIdentity(info) : nil
        })
        guard !excluded.contains(rootIdentity) else { return Scan() }
        let bounds = WalkBounds(root: root, resolvedRoot: resolvedPath(root) ?? root, excluded: excluded)
        let listing = try list(root, within: bounds).get()
        let subdirectories = listing.subdirectories
        let trees = Lanes.map(count: subdirectories.count, label: "mta-sts-host.certificate-walk") {
            { index in
                var visited: Set<DirectoryIdentity> = [rootIdentity]
                var tree = Tree()
                walk(subdirectories[index], within: bounds, visited: &visited, into: &tree)
                return tree
            }
        }
        var scan = Scan(candidates: listing.candidates, symlinksNotFollowed: listing.symlinksNotFollowed)
        // A directory reached along several paths (symlinks) counts once, where a single walk would have met it.
        var visited: Set<DirectoryIdentity> = [rootIdentity]
        for (identity, directory) in trees.flatMap(\.directories) where visited.insert(identity).inserted {
            scan.candidates += directory.candidates
            scan.symlinksNotFollowed += directory.symlinksNotFollowed
        }
        var seen = Set<String>()
        scan.unreadableDirectories = trees.flatMap(\.unreadable).filter { seen.insert($0.path ?? "").inserted }
        return scan
    }

    /// A directory by device and inode: symlinked directories can form loops.
    private struct DirectoryIdentity: Hashable, Sendable {
        let device: UInt64
        let inode: UInt64

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    /// What the walk stays within: the root (by its resolved path, for directory symlinks) minus the excluded.
    private struct WalkBounds: Sendable {
        let root: String
        let resolvedRoot: String
        let excluded: Set<DirectoryIdentity>
    }

    /// One directory's pairs and the directory symlinks in it that lead out of the tree.
    private struct Listing: Sendable {
        var candidates: [Candidate] = []
        var subdirectories: [String] = []
        var symlinksNotFollowed: [String] = []
    }

    private struct Tree: Sendable {
        var directories: [(identity: DirectoryIdentity, listing: Listing)] = []
        var unreadable: [SystemError] = []
    }

    /// Depth first, in name order; directories below the root that cannot be read are noted, not fatal.
    private static func walk(_ path: String, within bounds: WalkBounds, visited: inout Set<DirectoryIdentity>,
                             into tree: inout Tree) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            // Gone since its parent was listed: nothing to read, nothing to report.
            if errno != ENOENT { tree.unreadable.append(unreadableDirectory(path)) }
            return
        }
        let identity = DirectoryIdentity(info)
        guard !bounds.excluded.contains(identity), visited.insert(identity).inserted else { return }
        switch list(path, within: bounds) {
        case .failure(let error):
            if error.code != ENOENT { tree.unreadable.append(error) }
        case .success(let listing):
            tree.directories.append((identity, listing))
            for subdirectory in listing.subdirectories {
                walk(subdirectory, within: bounds, visited: &visited, into: &tree)
            }
        }
    }

    /// The pairs in one directory and its subdirectories (sorted).
    private static func list(_ path: String, within bounds: WalkBounds) -> Result<Listing, SystemError> {
        let entries: [DirectoryEntry]
        switch DirectoryListing.entries(of: path) {
        case .success(let listed): entries = listed
        case .failure(let error): return .failure(unreadableDirectory(path, code: error.code))
        }
        var files = Set<String>()
        var listing = Listing()
        for entry in entries {
            let name = entry.name
            if name.hasPrefix(".") { continue }
            let child = joinPath(path, name)
            // readdir's type saves a stat per entry; symlinks (certbot's live/) and unknown types are resolved.
            let type = entry.type
            switch type {
            case Int32(DT_REG): files.insert(name)
            case Int32(DT_DIR): listing.subdirectories.append(child)
            default:
                var childInfo = stat()
                guard stat(child, &childInfo) == 0 else { continue }
                switch childInfo.st_mode & S_IFMT {
                case S_IFDIR:
                    if isSymlink(child, type: type), !isPath(resolvedPath(child) ?? child, within: bounds.resolvedRoot) {
                        listing.symlinksNotFollowed.append("\(child): directory symlink leaves \(bounds.root); not followed")
                    } else {
                        listing.subdirectories.append(child)
                    }
                case S_IFREG: files.insert(name)
                default: break
                }
            }
        }
        listing.candidates = pairs(among: files).map { certificate, key in
            Candidate(certificatePath: joinPath(path, certificate), keyPath: joinPath(path, key))
        }
        listing.subdirectories.sort()
        return .success(listing)
    }

    /// Whether a directory entry is a symlink; only entries of unknown type (some file systems) need an lstat.
    private static func isSymlink(_ path: String, type: Int32) -> Bool {
        if type == Int32(DT_LNK) { return true }
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK
    }
}
