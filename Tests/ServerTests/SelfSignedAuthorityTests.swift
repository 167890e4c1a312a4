import Glibc
import Testing
import TLS

/// The local CA and its leaves, checked by our own loader and by the real `openssl verify`.
struct SelfSignedAuthorityTests {
    @Test func issuesALeafThatLoadsAndVerifies() throws {
        let directory = try temporaryDirectory()
        defer { removeTree(directory) }
        let ca = try SelfSignedAuthority.loadOrCreateCA(directory: directory + "/ca")
        #expect(ca.certificatePath == directory + "/ca/ca.pem")
        #expect(fileMode(directory + "/ca/ca.key") == 0o600)
        #expect(fileMode(directory + "/ca") == 0o700)

        let leaf = directory + "/leaf.pem", key = directory + "/leaf.key"
        try SelfSignedAuthority.issue(dnsNames: ["mta-sts.example.com", "mta-sts.example.net"], ca: ca,
                                      certificatePath: leaf, keyPath: key)
        #expect(fileMode(key) == 0o600)
        #expect(try readText(key).hasPrefix("-----BEGIN PRIVATE KEY-----\n"))  // PKCS#8
        #expect(try readText(leaf).components(of: "-----BEGIN CERTIFICATE-----") == 2)  // leaf + CA

        let pair = try CertificateKeyPair(certificatePath: leaf, keyPath: key)
        #expect(pair.dnsNames == ["mta-sts.example.com", "mta-sts.example.net"])
        #expect(pair.keyType == .ecdsa)
        let expected = Int(time(nil)) + 90 * 86_400
        #expect(abs(pair.notAfter - expected) <= 3_600 + 60)
        #expect(ca.issued(pair))

        #expect(run("openssl verify -x509_strict -purpose sslserver -CAfile '\(ca.certificatePath)' '\(leaf)'") == 0)
        #expect(run("openssl x509 -in '\(leaf)' -noout -text | grep -q 'TLS Web Server Authentication'") == 0)
    }

    @Test func reloadsTheSameCAFromDisk() throws {
        let directory = try temporaryDirectory()
        defer { removeTree(directory) }
        let created = try SelfSignedAuthority.loadOrCreateCA(directory: directory)
        let before = try readText(created.certificatePath)
        let reloaded = try SelfSignedAuthority.loadOrCreateCA(directory: directory)
        #expect(try readText(reloaded.certificatePath) == before)
        #expect(run("openssl x509 -in '\(created.certificatePath)' -noout -subject | grep -q 'mta-sts-host local CA'") == 0)

        // A leaf issued by the reloaded CA verifies against the file written by the first one.
        let leaf = directory + "/leaf.crt", key = directory + "/leaf.key"
        try SelfSignedAuthority.issue(dnsNames: ["mta-sts.example.org"], ca: reloaded,
                                      certificatePath: leaf, keyPath: key, days: 10)
        #expect(run("openssl verify -x509_strict -CAfile '\(created.certificatePath)' '\(leaf)'") == 0)
        let pair = try CertificateKeyPair(certificatePath: leaf, keyPath: key)
        #expect(created.issued(pair))
    }

    @Test func aRecreatedCADoesNotClaimOldLeaves() throws {
        let directory = try temporaryDirectory()
        defer { removeTree(directory) }
        let first = try SelfSignedAuthority.loadOrCreateCA(directory: directory + "/one")
        let second = try SelfSignedAuthority.loadOrCreateCA(directory: directory + "/two")
        try SelfSignedAuthority.issue(dnsNames: ["mta-sts.example.com"], ca: first,
                                      certificatePath: directory + "/a.crt", keyPath: directory + "/a.key")
        let pair = try CertificateKeyPair(certificatePath: directory + "/a.crt", keyPath: directory + "/a.key")
        #expect(first.issued(pair))
        #expect(!second.issued(pair))
    }

    @Test func omitsACommonNameLongerThan64Characters() throws {
        let directory = try temporaryDirectory()
        defer { removeTree(directory) }
        let ca = try SelfSignedAuthority.loadOrCreateCA(directory: directory)
        let long = "mta-sts." + String(repeating: "a", count: 60) + ".example"
        try SelfSignedAuthority.issue(dnsNames: [long], ca: ca, certificatePath: directory + "/l.crt",
                                      keyPath: directory + "/l.key")
        #expect(try CertificateKeyPair(certificatePath: directory + "/l.crt", keyPath: directory + "/l.key").dnsNames == [long])
        #expect(run("openssl verify -x509_strict -CAfile '\(ca.certificatePath)' '\(directory)/l.crt'") == 0)
    }

    @Test func refusesAHalfPresentCA() throws {
        let directory = try temporaryDirectory()
        defer { removeTree(directory) }
        let ca = try SelfSignedAuthority.loadOrCreateCA(directory: directory)
        unlink(ca.keyPath)
        #expect(throws: TLSError.self) { try SelfSignedAuthority.loadOrCreateCA(directory: directory) }
    }
}

private func temporaryDirectory() throws -> String {
    var template = Array("/tmp/selfsigned-XXXXXX".utf8CString)
    guard let path = mkdtemp(&template) else { throw TLSError("mkdtemp", reasons: [String(cString: strerror(errno))]) }
    return String(cString: path)
}

private func removeTree(_ path: String) { _ = run("rm -rf '\(path)'") }

/// Runs a shell command and returns its exit status.
private func run(_ command: String) -> Int32 {
    let status = system(command + " >/dev/null 2>&1")
    return status == -1 ? -1 : (status >> 8) & 0xff
}

private func fileMode(_ path: String) -> mode_t {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_mode & 0o777 : 0
}

private func readText(_ path: String) throws -> String {
    guard let file = fopen(path, "r") else { throw TLSError("open \(path)", reasons: []) }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count == 0 { break }
        bytes += buffer[..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

private extension String {
    func components(of needle: String) -> Int {
        var count = 0
        var rest = self[...]
        while let range = rest.firstRange(of: needle) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }
}
