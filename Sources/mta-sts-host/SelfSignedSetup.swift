import Catalog
import FileSystem
import Glibc
import Logging
import MTASTS
import Reactor
import Server
import TLS

/// `serve --self-signed`: when `--certs` holds no certificates, a local CA issues one per policy domain, so the
/// server can be tried with one command. Everything lives in the state directory and is reused on later runs.
enum SelfSignedSetup {
    /// Reissue a leaf this close to expiry (leaves last 90 days).
    static let renewalWindowSeconds = 30 * 86_400
    static let maximumCurlLines = 5

    /// Returns the certificate directory the server should use.
    static func prepare(policies: String, certificates: String, stateDirectory: String,
                        listen: [SocketAddress], logger: Logger) throws -> String {
        let existing = try existingPairs(in: certificates)
        if existing > 0 {
            logger.notice("--self-signed not needed: \(certificates) holds \(existing) certificate/key pair(s); using them")
            return certificates
        }
        let base = stateDirectory.hasSuffix("/") ? String(stateDirectory.dropLast()) : stateDirectory
        try makeDirectory(base)
        let ca = try SelfSignedAuthority.loadOrCreateCA(directory: base + "/ca")
        let directory = base + "/certs"
        try makeDirectory(directory)

        let hosts = try PolicyDirectory.load(directory: policies).policies.map { Catalog.hostName(forDomain: $0.domain) }
        let now = Int(time(nil))
        var issued = 0
        for host in hosts {
            let certificatePath = directory + "/" + host + ".crt", keyPath = directory + "/" + host + ".key"
            guard !isCurrent(host: host, certificatePath: certificatePath, keyPath: keyPath, ca: ca, now: now) else { continue }
            try SelfSignedAuthority.issue(dnsNames: [host], ca: ca, certificatePath: certificatePath, keyPath: keyPath)
            issued += 1
        }
        let removed = removeStale(in: directory, keeping: Set(hosts))

        if hosts.isEmpty {
            logger.warning("--self-signed: no valid policy in \(policies), so no certificate was issued")
        }
        // One message, so the curl commands sit on lines of their own, ready to paste.
        let summary = "--self-signed: local CA \(ca.certificatePath) (trust it for testing only); \(issued) "
            + "certificate(s) issued, \(hosts.count - issued) reused, \(removed) stale removed in \(directory)"
        let lines = [summary] + curlLines(hosts: hosts, caPath: ca.certificatePath, listen: listen)
        logger.notice("\(lines.joined(separator: "\n"))")
        return directory
    }

    /// Pairs already in `--certs`; a missing directory counts as empty, an unreadable one is an error.
    private static func existingPairs(in directory: String) throws -> Int {
        do {
            return try CertificateDirectory.find(in: directory).count
        } catch let error as SystemError where error.code == ENOENT || error.code == ENOTDIR {
            return 0
        }
    }

    /// A leaf is reused while it names exactly this host, is not due for renewal, and was signed by this CA
    /// (a deleted and recreated CA makes every old leaf untrusted).
    private static func isCurrent(host: String, certificatePath: String, keyPath: String, ca: SelfSignedCA,
                                  now: Int) -> Bool {
        guard let pair = try? CertificateKeyPair(certificatePath: certificatePath, keyPath: keyPath) else { return false }
        return pair.dnsNames == [host] && pair.notAfter - now > renewalWindowSeconds && ca.issued(pair)
    }

    /// Deletes `mta-sts.*.crt|key` files of domains whose policy is gone, so the server stops answering for them.
    private static func removeStale(in directory: String, keeping hosts: Set<String>) -> Int {
        guard case .success(let entries) = DirectoryListing.entries(of: directory) else { return 0 }
        var stale: [String] = []
        for name in entries.map(\.name) {
            guard name.hasPrefix(DNSRecords.policyHostPrefix), name.hasSuffix(".crt") || name.hasSuffix(".key") else { continue }
            if !hosts.contains(String(name.dropLast(4))) { stale.append(directory + "/" + name) }
        }
        return stale.filter { unlink($0) == 0 && $0.hasSuffix(".crt") }.count
    }

    /// Ready-to-paste commands that fetch each policy through the CA, at most `maximumCurlLines` of them.
    static func curlLines(hosts: [String], caPath: String, listen: [SocketAddress]) -> [String] {
        guard let address = listen.first else { return [] }
        let wildcard = address.host == "::" || address.host == "0.0.0.0"
        let connectTo = wildcard ? "127.0.0.1" : address.family == .ipv6 ? "[\(address.host)]" : address.host
        let port = address.port
        var lines = hosts.prefix(maximumCurlLines).map { host in
            "curl --cacert \(shellQuoted(caPath)) --resolve \(host):\(port):\(connectTo) "
                + "https://\(host):\(port)/.well-known/mta-sts.txt"
        }
        if hosts.count > maximumCurlLines { lines.append("...") }
        return lines
    }

    private static func shellQuoted(_ text: String) -> String {
        let plain = text.utf8.allSatisfy { byte in
            ASCII.isLetterOrDigit(byte) || "./-_:".utf8.contains(byte)
        }
        return plain ? text : "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    /// `mkdir -p` with mode 0700 for what it creates: the CA key and the leaf keys live below.
    private static func makeDirectory(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw SetupError("\(path) exists and is not a directory") }
            return
        }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectory(String(path[..<slash]))
        }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw SetupError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    struct SetupError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
