import Glibc

/// Least privilege: a server started as root (to bind :443 and read keys) continues as `--user`.
enum PrivilegeDrop {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The uid and primary gid of `user`.
    static func account(of user: String) throws -> (uid: uid_t, gid: gid_t) {
        guard let entry = getpwnam(user) else { throw Failure(description: "--user \(user): no such user") }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// Switches to `user`'s uid and primary gid with no supplementary groups. Applies to every thread (glibc).
    static func switchTo(user: String) throws {
        let (uid, gid) = try account(of: user)
        guard setgroups(0, nil) == 0 else { throw failure("setgroups") }
        guard setgid(gid) == 0 else { throw failure("setgid(\(gid))") }
        guard setuid(uid) == 0 else { throw failure("setuid(\(uid))") }
        // Dropping must be irreversible.
        guard setuid(0) != 0 else { throw Failure(description: "could regain root after dropping to \(user)") }
    }

    private static func failure(_ call: String) -> Failure {
        Failure(description: "\(call): \(String(cString: strerror(errno)))")
    }

    static var isRoot: Bool { geteuid() == 0 }
}
