import Glibc

/// `directory/name`, whether or not `directory` already ends in a slash.
public func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}

/// The canonical absolute path (symlinks resolved), or nil when it does not exist.
public func resolvedPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// Whether the canonical path `path` is `root` or lies below it (both already resolved by `resolvedPath`).
/// A directory symlink whose target fails this leaves the tree an operator pointed the server at.
public func isPath(_ path: String, within root: String) -> Bool {
    if path == root || root == "/" { return true }
    return path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
}
