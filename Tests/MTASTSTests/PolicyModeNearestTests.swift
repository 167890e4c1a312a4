import MTASTS
import Testing

@Suite struct PolicyModeNearestTests {
    @Test(arguments: [
        ("enforced", PolicyMode.enforce), ("enforcing", .enforce), ("enfroce", .enforce), ("ENFORCED", .enforce),
        ("enforcement", .enforce), ("tesing", .testing), ("test", .testing), ("testin", .testing),
        ("Testing2", .testing), ("non", .none), ("nnone", .none), ("noen", .none),
    ])
    func nearMissesNameTheirMode(_ typed: String, _ meant: PolicyMode) {
        #expect(PolicyMode.nearest(to: typed) == meant)
    }

    /// Values that could mean anything get no guess.
    @Test(arguments: ["strict", "on", "off", "yes", "enabled", "report", "", "x"])
    func farValuesGetNoGuess(_ typed: String) {
        #expect(PolicyMode.nearest(to: typed) == nil)
    }

    private func modeFix(_ value: String) -> String? {
        let text = "version: STSv1\nmode: \(value)\nmx: mail.example.com\nmax_age: 86400\n"
        let result = PolicyParser.parse(Array(text.utf8))
        #expect(result.policy == nil)
        return result.diagnostics.first { $0.message.hasPrefix("mode must be") }?.fix
    }

    @Test func enforcedSuggestsEnforceNotTesting() {
        #expect(modeFix("enforced") == "did you mean enforce? write \"mode: enforce\"")
        #expect(modeFix("tesing") == "did you mean testing? write \"mode: testing\"")
    }

    @Test func caseOnlyAndUnknownValuesKeepTheirFixes() {
        #expect(modeFix("Enforce") == "write \"mode: enforce\" (values are case-sensitive)")
        #expect(modeFix("strict") == "write \"mode: testing\" to start, \"mode: enforce\" once reports are clean")
    }
}

@Suite struct PolicyFileNameTests {
    @Test func doubledExtensionIsAWarningNamingTheIntendedFile() {
        let found = PolicyFileName.diagnostics(domain: "x.test.txt")
        #expect(found.count == 1)
        #expect(found.first?.severity == .warning)
        #expect(found.first?.message == "file name ends in .txt.txt: it is served for \"x.test.txt\", not \"x.test\"")
        #expect(found.first?.fix == "rename it to x.test.txt")
    }

    @Test func doubledExtensionOfAnInvalidNameAlsoGetsItsError() {
        let found = PolicyFileName.diagnostics(domain: "X.test.txt")
        #expect(found.map(\.severity) == [.warning, .error])
        #expect(found.last?.fix == "rename it to x.test.txt")
    }

    @Test func plainNamesAreUnchanged() {
        #expect(PolicyFileName.diagnostics(domain: "example.com").isEmpty)
        #expect(PolicyFileName.diagnostics(domain: "txt.example").isEmpty)
        #expect(PolicyFileName.diagnostics(domain: "Example.com").first?.fix == "rename it to example.com.txt")
        #expect(PolicyFileName.diagnostics(domain: "mta-sts.example.com").first?.severity == .warning)
    }
}
