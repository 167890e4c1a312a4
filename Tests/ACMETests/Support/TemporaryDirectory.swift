import Glibc
import TLS

/// A directory under /tmp for one test, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/acme-tests-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp: \(String(cString: strerror(errno)))") }
        path = String(cString: made)
    }

    func remove() { _ = system("rm -rf '\(path)'") }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) throws {
        guard let file = fopen(file(name), "w") else { throw TestFailure("cannot create \(name)") }
        defer { fclose(file) }
        guard fputs(text, file) >= 0 else { throw TestFailure("cannot write \(name)") }
    }

    func read(_ name: String) throws -> String {
        guard let file = fopen(file(name), "r") else { throw TestFailure("cannot open \(name)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = fread(&buffer, 1, buffer.count, file), count > 0 { bytes += buffer[..<count] }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs a shell command; its output goes to a log that a failure quotes.
    func shell(_ command: String) throws {
        let log = file("shell.log")
        guard system("\(command) >'\(log)' 2>&1") == 0 else {
            throw TestFailure("\(command) failed: \((try? read("shell.log")) ?? "")")
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Certificates made by the project's own local CA, for tests that need a real leaf.
enum SelfIssued {
    /// A leaf with an authorityKeyIdentifier (what ARI's certificate identifier is built from).
    static func certificateWithAuthorityKeyIdentifier() throws -> String {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ca = try SelfSignedAuthority.loadOrCreateCA(directory: directory.file("ca"))
        try SelfSignedAuthority.issue(dnsNames: ["mta-sts.example.test"], ca: ca,
                                      certificatePath: directory.file("leaf.pem"), keyPath: directory.file("leaf.key"))
        return try directory.read("leaf.pem")
    }
}
