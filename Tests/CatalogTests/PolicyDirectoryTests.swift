import Catalog
import FileSystem
import MTASTS
import Testing

private let example = "version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 86400\n"
private let exampleCRLF = "version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 86400\r\n"

@Suite struct PolicyDirectoryTests {
    @Test func validPoliciesAndAnAliasSymlink() throws {
        let dir = PolicyTestDirectory()
        dir.write("example.com.txt", example)
        dir.write("example.org.txt", "version: STSv1\nmode: enforce\nmx: *.mx.example.net\nmax_age: 1209600\n")
        dir.symlink("alias.example.txt", to: "example.com.txt")
        let report = try PolicyDirectory.load(directory: dir.path)

        #expect(report.policies.map(\.domain) == ["alias.example", "example.com", "example.org"])
        #expect(report.diagnostics.isEmpty)
        #expect(report.errorCount == 0 && report.warningCount == 0 && report.rejectedFiles.isEmpty)
        let alias = report.policies[0], original = report.policies[1]
        #expect(alias.path == dir.path + "/alias.example.txt")
        #expect(alias.policy == original.policy && alias.id == original.id && alias.canonical == original.canonical)
        #expect(original.canonical == Array(exampleCRLF.utf8))
        #expect(original.id == PolicyID.make(canonical: Array(exampleCRLF.utf8)))
        #expect(report.checkedFileCount == 3)
    }

    @Test func aFileWithAnErrorIsRejected() throws {
        let dir = PolicyTestDirectory()
        dir.write("example.com.txt", example)
        dir.write("bad.example.txt", "version: STSv1\nmode: Enforce\nmx: mail.bad.example\nmax_age: 604800\n")
        let report = try PolicyDirectory.load(directory: dir.path + "/")

        #expect(report.policies.map(\.domain) == ["example.com"])
        #expect(report.rejectedFiles == [dir.path + "/bad.example.txt"])
        #expect(report.errorCount == 1 && report.warningCount == 0)
        let item = try #require(report.diagnostics.first)
        #expect(item.path == dir.path + "/bad.example.txt")
        #expect((item.diagnostic.line, item.diagnostic.column) == (2, 7))
        #expect("\(item)".hasPrefix(dir.path + "/bad.example.txt:2:7: error: mode must be one of enforce, testing, none"))
        #expect("\(item)".hasSuffix("\n  fix: write \"mode: enforce\" (values are case-sensitive)"))
    }

    /// The file name is the served domain: it must be a lower-case A-label name.
    @Test(arguments: [
        ("Example.com.txt", "has upper case letters", "rename it to example.com.txt"),
        ("bücher.example.txt", "is not ASCII", "rename it to xn--bcher-kva.example.txt"),
        ("localhost.txt", "single label", "rename it to <domain>.txt"),
        ("under_score.example.txt", "contains \"_\"", "rename it to <domain>.txt"),
    ])
    func badFileNamesAreRejected(_ name: String, _ problem: String, _ fix: String) throws {
        let dir = PolicyTestDirectory()
        dir.write(name, example)
        let report = try PolicyDirectory.load(directory: dir.path)
        #expect(report.policies.isEmpty)
        #expect(report.rejectedFiles == [dir.path + "/" + name])
        let diagnostic = try #require(report.diagnostics.first?.diagnostic)
        #expect((diagnostic.severity, diagnostic.line, diagnostic.column) == (.error, 0, 0))
        #expect(diagnostic.message.contains(problem))
        #expect(diagnostic.fix?.hasPrefix(fix) == true)
        #expect("\(report.diagnostics[0])".hasPrefix(dir.path + "/" + name + ": error: file name"))
    }

    @Test func leftoversAreIgnoredAndStrangersWarnedAbout() throws {
        let dir = PolicyTestDirectory()
        dir.write("example.com.txt", example)
        for name in [".hidden.txt", ".example.com.txt.swp", "example.com.txt~", "#example.com.txt#", "README.md",
                     "notes.md", "example.com.txt.bak", "example.com.txt.orig"] {
            dir.write(name, "junk")
        }
        dir.mkdir("subdir.txt.d")
        dir.mkdir("..2024_01_01")
        dir.symlink("..data", to: "..2024_01_01")
        dir.write("example.net", example)
        let report = try PolicyDirectory.load(directory: dir.path)

        #expect(report.policies.map(\.domain) == ["example.com"])
        #expect(report.rejectedFiles.isEmpty)
        #expect(report.diagnostics.map(\.path) == [dir.path + "/example.net"])
        #expect(report.diagnostics.first?.diagnostic.severity == .warning)
        #expect(report.diagnostics.first?.diagnostic.message.contains("not a policy file") == true)
        #expect(report.warningCount == 1 && report.errorCount == 0)
    }

    @Test func fileSizeLimit() throws {
        let dir = PolicyTestDirectory()
        let head = Array("version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 86400".utf8)
        dir.write("exact.example.txt", head + [UInt8](repeating: 0x20, count: 65536 - head.count - 1) + [0x0A])
        dir.write("over.example.txt", head + [UInt8](repeating: 0x20, count: 65537 - head.count - 1) + [0x0A])
        dir.write("huge.example.txt", [UInt8](repeating: 0x41, count: 1 << 20))
        let report = try PolicyDirectory.load(directory: dir.path)

        #expect(report.policies.map(\.domain) == ["exact.example"])
        #expect(report.rejectedFiles == [dir.path + "/huge.example.txt", dir.path + "/over.example.txt"])
        let messages = report.diagnostics.map { "\($0.path.split(separator: "/").last!) \($0.diagnostic.message)" }
        #expect(messages == [
            "exact.example.txt policy is 65536 bytes; some senders read only the first 10240 (10 KiB)",
            "huge.example.txt file is 1048576 bytes, over the 65536-byte (64 KiB) limit",
            "over.example.txt file is 65537 bytes, over the 65536-byte (64 KiB) limit",
        ])
    }

    @Test func unreadableEntriesAreRejectedWithTheReason() throws {
        let dir = PolicyTestDirectory()
        dir.symlink("dangling.example.txt", to: "missing.example.txt")
        dir.symlink("loop.example.txt", to: "loop.example.txt")
        dir.mkdir("folder.example.txt")
        dir.mkfifo("fifo.example.txt")
        let report = try PolicyDirectory.load(directory: dir.path)

        #expect(report.policies.isEmpty)
        #expect(report.rejectedFiles.count == 4)
        let byName = Dictionary(uniqueKeysWithValues: report.diagnostics.map {
            (String($0.path.split(separator: "/").last!), $0.diagnostic)
        })
        #expect(byName["dangling.example.txt"]?.message == "cannot open the file: No such file or directory")
        #expect(byName["dangling.example.txt"]?.fix?.contains("symlink") == true)
        #expect(byName["loop.example.txt"]?.message.contains("Too many levels of symbolic links") == true)
        #expect(byName["folder.example.txt"]?.message == "not a regular file")
        #expect(byName["fifo.example.txt"]?.message == "not a regular file")
    }

    @Test func missingDirectoryThrowsWithPathAndReason() {
        let error = #expect(throws: SystemError.self) {
            try PolicyDirectory.load(directory: "/nonexistent/policies")
        }
        #expect(error?.description == "cannot open policy directory /nonexistent/policies: No such file or directory")
    }

    @Test func policyHostAsFileNameIsWarnedAbout() throws {
        let dir = PolicyTestDirectory()
        dir.write("mta-sts.example.com.txt", example)
        let report = try PolicyDirectory.load(directory: dir.path)
        #expect(report.policies.map(\.domain) == ["mta-sts.example.com"])
        #expect(report.diagnostics.first?.diagnostic.fix == "name the file for the mail domain: example.com.txt")
    }

    @Test func strictTurnsWarningsIntoRejections() throws {
        let dir = PolicyTestDirectory()
        dir.write("example.com.txt", example)
        dir.write("warned.example.txt", "version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 60\n")
        dir.write("bad.example.txt", "mode: none\n")
        let report = try PolicyDirectory.load(directory: dir.path)
        #expect((report.policies.count, report.errorCount, report.warningCount) == (2, 2, 1))

        let strict = report.promotingWarnings()
        #expect(strict.policies.map(\.domain) == ["example.com"])
        #expect(strict.rejectedFiles == [dir.path + "/bad.example.txt", dir.path + "/warned.example.txt"])
        #expect((strict.errorCount, strict.warningCount) == (3, 0))
        #expect(strict.diagnostics.allSatisfy { $0.diagnostic.severity == .error })
    }
}
