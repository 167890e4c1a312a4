import Glibc

/// pebble (Debian package `pebble`, installed by `make deps`) on free ports of 127.0.0.1, with an HTTPS certificate
/// made for this run; stopped by `stop()`. Challenges are not validated (PEBBLE_VA_ALWAYS_VALID): the real
/// TLS-ALPN-01 round trip needs the server and is tested with it.
final class PebbleServer {
    static let binary = "/usr/bin/pebble"

    let directory: TemporaryDirectory
    let port: UInt16
    private let pid: pid_t

    var directoryURL: String { "https://localhost:\(port)/dir" }
    /// The certificate pebble's listener presents, to trust in addition to the system's roots.
    var trustBundlePath: String { directory.file("pebble-listener.pem") }

    /// `nonceRejectPercent`: the share of valid nonces pebble refuses with badNonce (its default is 5).
    init(nonceRejectPercent: Int) throws {
        guard access(Self.binary, X_OK) == 0 else {
            throw TestFailure("\(Self.binary) is missing: `make deps` installs the Debian package pebble")
        }
        directory = try TemporaryDirectory()
        try directory.shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1"
                            + " -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
                            + " -keyout '\(directory.file("pebble-listener.key"))' -out '\(directory.file("pebble-listener.pem"))'")
        port = try Self.freePort()
        let management = try Self.freePort()
        try directory.write("pebble.json", """
            {"pebble": {"listenAddress": "127.0.0.1:\(port)", "managementListenAddress": "127.0.0.1:\(management)",
             "certificate": "\(directory.file("pebble-listener.pem"))", "privateKey": "\(directory.file("pebble-listener.key"))",
             "httpPort": \(try Self.freePort()), "tlsPort": \(try Self.freePort()), "ocspResponderURL": "",
             "externalAccountBindingRequired": false}}
            """)
        pid = try Self.spawn([Self.binary, "-config", directory.file("pebble.json")],
                             environment: ["PEBBLE_VA_ALWAYS_VALID=1", "PEBBLE_VA_NOSLEEP=1",
                                           "PEBBLE_WFE_NONCEREJECT=\(nonceRejectPercent)"],
                             log: directory.file("pebble.log"))
        try waitUntilListening()
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        directory.remove()
    }

    var log: String { (try? directory.read("pebble.log")) ?? "" }

    private func waitUntilListening() throws {
        for _ in 0..<100 {
            if Self.accepts(port: port) { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { throw TestFailure("pebble exited: \(log)") }
            usleep(100_000)
        }
        throw TestFailure("pebble did not listen on \(port) within 10 s: \(log)")
    }

    private static func spawn(_ arguments: [String], environment: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var inherited: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            inherited.append(String(cString: pointer))
            entry += 1
        }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = (inherited + environment).map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
        guard result == 0 else { throw TestFailure("posix_spawn \(arguments[0]): \(String(cString: strerror(result)))") }
        return pid
    }

    /// A port the kernel just handed out on 127.0.0.1 (closed again; pebble binds it a moment later).
    private static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw TestFailure("cannot find a free port: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func accepts(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
