import Glibc
import TLS

/// Throw-away keys and certificates made with the `openssl` command in a temporary directory: roots,
/// intermediates, leaves, and files that concatenate them in any order.
struct TestPKI {
    struct Issued {
        let certificate: String
        let key: String
    }

    let directory: String

    init() throws {
        var template = Array("/tmp/tls-tests-XXXXXX".utf8CString)
        guard let path = mkdtemp(&template) else { throw TestFailure("mkdtemp: \(String(cString: strerror(errno)))") }
        directory = String(cString: path)
    }

    func remove() { _ = system("rm -rf '\(directory)'") }

    func path(_ name: String) -> String { directory + "/" + name }

    /// A self-signed CA certificate.
    func root(_ name: String) throws -> Issued {
        let issued = Issued(certificate: path(name + ".pem"), key: path(name + ".key"))
        try makeKey(issued.key, rsaBits: nil)
        try openssl("req -x509 -new -key '\(issued.key)' -subj '/CN=\(name)' -days 30 -sha256 -out '\(issued.certificate)'"
                    + " -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'")
        return issued
    }

    /// A self-signed server certificate for `mta-sts.example.com`.
    func selfSignedLeaf(_ name: String, rsaBits: Int? = nil) throws -> Issued {
        let issued = Issued(certificate: path(name + ".pem"), key: path(name + ".key"))
        try makeKey(issued.key, rsaBits: rsaBits)
        try openssl("req -x509 -new -key '\(issued.key)' -subj '/CN=mta-sts.example.com' -days 30 -sha256"
                    + " -out '\(issued.certificate)' -addext 'subjectAltName=DNS:mta-sts.example.com'")
        return issued
    }

    /// A self-signed certificate with `subjectAltName` (OpenSSL's syntax, e.g. `DNS:a.example,IP:192.0.2.1`) or
    /// none at all.
    func selfSigned(_ name: String, subjectAltName: String?) throws -> Issued {
        let issued = Issued(certificate: path(name + ".pem"), key: path(name + ".key"))
        try makeKey(issued.key, rsaBits: nil)
        let san = subjectAltName.map { " -addext 'subjectAltName=\($0)'" } ?? ""
        try openssl("req -x509 -new -key '\(issued.key)' -subj '/CN=\(name)' -days 30 -sha256"
                    + " -out '\(issued.certificate)'" + san)
        return issued
    }

    /// A certificate issued by `issuer`: an intermediate CA with `isCA`, else a server certificate.
    func issue(_ name: String, by issuer: Issued, isCA: Bool = false, digest: String = "sha256",
               rsaBits: Int? = nil) throws -> Issued {
        let issued = Issued(certificate: path(name + ".pem"), key: path(name + ".key"))
        try makeKey(issued.key, rsaBits: rsaBits)
        let extensions = path(name + ".ext")
        let lines = isCA
            ? ["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign"]
            : ["basicConstraints=critical,CA:FALSE", "subjectAltName=DNS:mta-sts.example.com"]
        try write(extensions, (lines + ["subjectKeyIdentifier=hash", "authorityKeyIdentifier=keyid"])
            .joined(separator: "\n") + "\n")
        let subject = isCA ? name : "mta-sts.example.com"
        try openssl("req -new -key '\(issued.key)' -subj '/CN=\(subject)' -out '\(path(name + ".csr"))'")
        try openssl("x509 -req -in '\(path(name + ".csr"))' -CA '\(issuer.certificate)' -CAkey '\(issuer.key)'"
                    + " -days 30 -\(digest) -extfile '\(extensions)' -out '\(issued.certificate)'")
        return issued
    }

    /// A file holding `files` one after the other.
    @discardableResult
    func concatenate(_ files: [String], into name: String) throws -> String {
        var text = ""
        for file in files { text += try read(file) }
        try write(path(name), text)
        return path(name)
    }

    func read(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { throw TestFailure("cannot open \(path)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while case let count = fread(&buffer, 1, buffer.count, file), count > 0 { bytes += buffer[..<count] }
        return String(decoding: bytes, as: UTF8.self)
    }

    func write(_ path: String, _ text: String) throws {
        guard let file = fopen(path, "w") else { throw TestFailure("cannot create \(path)") }
        defer { fclose(file) }
        guard fputs(text, file) >= 0 else { throw TestFailure("cannot write \(path)") }
    }

    func makeDirectory(_ name: String) throws -> String {
        guard mkdir(path(name), 0o755) == 0 else { throw TestFailure("mkdir \(name): \(String(cString: strerror(errno)))") }
        return path(name)
    }

    func symlink(_ target: String, at name: String) throws -> String {
        guard Glibc.symlink(target, path(name)) == 0 else {
            throw TestFailure("symlink \(name): \(String(cString: strerror(errno)))")
        }
        return path(name)
    }

    private func makeKey(_ path: String, rsaBits: Int?) throws {
        if let rsaBits {
            try openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:\(rsaBits) -out '\(path)'")
        } else {
            try openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '\(path)'")
        }
    }

    /// Runs `openssl <arguments>` and returns what it printed (stdout and stderr), which a failure quotes.
    @discardableResult
    func openssl(_ arguments: String) throws -> String {
        let log = path("openssl.log")
        let status = system("openssl \(arguments) >'\(log)' 2>&1")
        guard status == 0 else { throw TestFailure("openssl \(arguments) failed: \((try? read(log)) ?? "")") }
        return try read(log)
    }

    func write(_ path: String, bytes: [UInt8]) throws {
        guard let file = fopen(path, "w") else { throw TestFailure("cannot create \(path)") }
        defer { fclose(file) }
        guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw TestFailure("cannot write \(path)") }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
