import FileSystem
import Glibc
import Reactor

/// The `--state-dir` of `serve`: created before the server starts, and handed to the user it drops to, with
/// everything in it (status.json, --self-signed's CA and certificates), so no root-owned file is left that the
/// server could no longer replace or read.
enum StateDirectory {
    static func prepare(_ path: String, owner: (uid: uid_t, gid: gid_t)?) throws {
        if mkdir(path, 0o755) != 0, errno != EEXIST { throw SystemError("mkdir \(path)") }
        guard let owner else { return }
        try chownTree(path, owner: owner)
    }

    /// Not through symlinks: a link in the state directory must not hand its target to the user.
    private static func chownTree(_ path: String, owner: (uid: uid_t, gid: gid_t)) throws {
        guard lchown(path, owner.uid, owner.gid) == 0 else { throw SystemError("chown \(path)") }
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR,
              case .success(let entries) = DirectoryListing.entries(of: path) else { return }
        for entry in entries {
            try chownTree(joinPath(path, entry.name), owner: owner)
        }
    }
}
