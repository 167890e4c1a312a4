import MTASTS
import Testing

/// One parser case: input bytes, the exact diagnostics expected (in order), and the policy when valid.
struct ParserCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var expected: [ExpectedDiagnostic]
    var policy: Policy?

    init(_ name: String, _ text: String, _ expected: [ExpectedDiagnostic] = [], policy: Policy? = nil) {
        self.init(name, Array(text.utf8), expected, policy: policy)
    }

    init(_ name: String, _ input: [UInt8], _ expected: [ExpectedDiagnostic] = [], policy: Policy? = nil) {
        self.name = name
        self.input = input
        self.expected = expected
        self.policy = policy
    }

    var testDescription: String { name }
}

/// Lines joined with LF, with a final LF.
private func lines(_ lines: String...) -> String {
    lines.map { $0 + "\n" }.joined()
}

/// The base valid policy with one line replaced (1-based), or removed when `with` is nil.
private func base(replacing line: Int, with text: String?) -> String {
    var rows = ["version: STSv1", "mode: testing", "mx: mail.example.com", "max_age: 86400"]
    if let text { rows[line - 1] = text } else { rows.remove(at: line - 1) }
    return rows.map { $0 + "\n" }.joined()
}

private func mxCase(_ name: String, _ value: String, _ expected: [ExpectedDiagnostic]) -> ParserCase {
    ParserCase(name, base(replacing: 3, with: "mx: " + value), expected)
}

private let testing = Policy(mode: .testing, mx: ["mail.example.com"], maxAge: 86400)
private let rfcExample = Policy(
    mode: .enforce, mx: ["mail.example.com", "*.example.net", "backupmx.example.com"], maxAge: 604800)

/// Pads the base policy's last line with trailing spaces (allowed, stripped) to exactly `size` bytes.
private func padded(to size: Int) -> [UInt8] {
    var bytes = Array("version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 86400".utf8)
    bytes += [UInt8](repeating: 0x20, count: size - bytes.count - 1)
    return bytes + [0x0A]
}

let validCases: [ParserCase] = [
    ParserCase("RFC 8461 example, CRLF", "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
        + "mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n", policy: rfcExample),
    ParserCase("RFC 8461 example, LF", lines("version: STSv1", "mode: enforce", "mx: mail.example.com",
        "mx: *.example.net", "mx: backupmx.example.com", "max_age: 604800"), policy: rfcExample),
    ParserCase("no final line end", "version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 86400",
               policy: testing),
    ParserCase("mixed LF and CRLF", "version: STSv1\r\nmode: testing\nmx: mail.example.com\r\nmax_age: 86400\n",
               policy: testing),
    ParserCase("tab and no space after colon, trailing whitespace",
               "version:STSv1 \nmode:\ttesting\t\nmx:   mail.example.com  \nmax_age: 86400 \t\n", policy: testing),
    ParserCase("mode none needs no mx, max_age 0 is no advice there",
               lines("version: STSv1", "mode: none", "max_age: 0"), policy: Policy(mode: .none, mx: [], maxAge: 0)),
    ParserCase("mode none keeps its mx", lines("version: STSv1", "mode: none", "mx: mail.example.com", "max_age: 86400"),
               policy: Policy(mode: .none, mx: ["mail.example.com"], maxAge: 86400)),
    ParserCase("max_age 31557600 is the maximum", base(replacing: 4, with: "max_age: 31557600"),
               policy: Policy(mode: .testing, mx: ["mail.example.com"], maxAge: 31_557_600)),
    ParserCase("leading zeros within 10 digits", base(replacing: 4, with: "max_age: 0000086400"), policy: testing),
    ParserCase("wildcard mx", base(replacing: 3, with: "mx: *.example.com"),
               policy: Policy(mode: .testing, mx: ["*.example.com"], maxAge: 86400)),
    ParserCase("A-label mx", base(replacing: 3, with: "mx: mx.xn--bcher-kva.example"),
               policy: Policy(mode: .testing, mx: ["mx.xn--bcher-kva.example"], maxAge: 86400)),
    ParserCase("keys in any order after version", lines("version: STSv1", "max_age: 86400", "mx: mail.example.com",
                                                        "mode: testing"), policy: testing),
]

let errorCases: [ParserCase] = [
    // max_age
    ParserCase("max_age 31557601", base(replacing: 4, with: "max_age: 31557601"),
               [error(4, 10, "max_age must be at most 31557600 (found 31557601)")]),
    ParserCase("max_age +86400", base(replacing: 4, with: "max_age: +86400"),
               [error(4, 10, "max_age must be decimal digits (found \"+86400\")")]),
    ParserCase("max_age 1d", base(replacing: 4, with: "max_age: 1d"),
               [error(4, 11, "max_age must be decimal digits (found \"1d\")")]),
    ParserCase("max_age empty", base(replacing: 4, with: "max_age:"), [error(4, 9, "max_age has no value")]),
    ParserCase("max_age negative", base(replacing: 4, with: "max_age: -1"), [error(4, 10, "decimal digits")]),
    ParserCase("max_age trailing junk", base(replacing: 4, with: "max_age: 86400x"),
               [error(4, 15, "decimal digits (found \"86400x\")")]),
    ParserCase("max_age with inner space", base(replacing: 4, with: "max_age: 86 400"), [error(4, 12, "decimal digits")]),
    ParserCase("max_age overflow", base(replacing: 4, with: "max_age: 99999999999999999999999999"),
               [error(4, 10, "more than 10 digits")]),
    ParserCase("max_age 11 digits of zeros", base(replacing: 4, with: "max_age: 00000086400"),
               [error(4, 10, "more than 10 digits")]),
    ParserCase("max_age missing", base(replacing: 4, with: nil), [error(1, 1, "no max_age line")]),
    ParserCase("max_age duplicate, same value", base(replacing: 4, with: "max_age: 86400\nmax_age: 86400"),
               [error(5, 1, "duplicate max_age line (the first is on line 4)")]),
    // mode
    ParserCase("mode Enforce", base(replacing: 2, with: "mode: Enforce"),
               [error(2, 7, "mode must be one of enforce, testing, none (found \"Enforce\")")]),
    ParserCase("mode unknown", base(replacing: 2, with: "mode: strict"), [error(2, 7, "(found \"strict\")")]),
    ParserCase("mode empty", base(replacing: 2, with: "mode:"), [error(2, 6, "mode has no value")]),
    ParserCase("mode missing", base(replacing: 2, with: nil), [error(1, 1, "no mode line")]),
    ParserCase("mode duplicate", base(replacing: 2, with: "mode: testing\nmode: enforce"),
               [error(3, 1, "duplicate mode line (the first is on line 2)")]),
    ParserCase("enforce without mx", lines("version: STSv1", "mode: enforce", "max_age: 604800"),
               [error(2, 7, "mode enforce needs at least one mx line")]),
    ParserCase("testing without mx", base(replacing: 3, with: nil), [error(2, 7, "mode testing needs at least one mx")]),
    // version
    ParserCase("version missing", base(replacing: 1, with: nil), [error(1, 1, "no version line")]),
    ParserCase("version STSv2", base(replacing: 1, with: "version: STSv2"),
               [error(1, 10, "version must be STSv1 (found \"STSv2\")")]),
    ParserCase("version stsv1", base(replacing: 1, with: "version: stsv1"), [error(1, 10, "(found \"stsv1\")")]),
    ParserCase("version duplicate", base(replacing: 1, with: "version: STSv1\nversion: STSv1"),
               [error(2, 1, "duplicate version line (the first is on line 1)")]),
    ParserCase("Version is an unknown key, so version is missing", base(replacing: 1, with: "Version: STSv1"),
               [warning(1, 1, "unknown key \"Version\""), error(1, 1, "no version line")]),
    ParserCase("empty file", "", [error(1, 1, "no version"), error(1, 1, "no mode"), error(1, 1, "no max_age")]),
    // line syntax
    ParserCase("mx with a space before the colon", base(replacing: 3, with: "mx : mail.example.com"),
               [error(3, 3, "whitespace before the colon in \"mx :\"")]),
    ParserCase("line without a colon", base(replacing: 2, with: "mode testing"),
               [error(1, 1, "no mode line"), error(2, 1, "line has no colon")]),
    ParserCase("empty key", base(replacing: 2, with: ": testing"),
               [error(1, 1, "no mode line"), error(2, 1, "no key before the colon")]),
    ParserCase("key with a space", base(replacing: 4, with: "max age: 86400"),
               [error(1, 1, "no max_age line"), error(4, 1, "invalid key \"max age\"")]),
    ParserCase("leading whitespace", base(replacing: 2, with: "  mode: testing"),
               [error(2, 1, "line starts with whitespace")]),
    ParserCase("blank line inside", base(replacing: 3, with: "\nmx: mail.example.com"), [error(3, 1, "blank line")]),
    ParserCase("blank line at the end", base(replacing: 4, with: "max_age: 86400\n"), [error(5, 1, "blank line")]),
    ParserCase("whitespace-only line", base(replacing: 3, with: " \t\nmx: mail.example.com"),
               [error(3, 1, "blank line (only spaces or tabs)")]),
    ParserCase("bare CR before CRLF", base(replacing: 2, with: "mode: testing\r\r"),
               [error(2, 14, "bare CR")]),
    ParserCase("CR-only line ends", "version: STSv1\rmode: testing\rmx: mail.example.com\rmax_age: 86400\r",
               [error(1, 1, "no mode line"), error(1, 1, "no max_age line"), error(1, 15, "bare CR")]),
    ParserCase("NUL byte", Array(base(replacing: 3, with: "mx: mail\u{0}.example.com").utf8), [error(3, 9, "NUL byte")]),
    ParserCase("control character", base(replacing: 2, with: "mode: test\u{7}ing"),
               [error(2, 11, "control character 0x07")]),
    ParserCase("byte 0xFF", Array("version: STSv1\nmode: test".utf8) + [0xFF] + Array("\nmx: a.example\nmax_age: 86400\n".utf8),
               [error(2, 11, "non-ASCII byte 0xFF")]),
    ParserCase("UTF-8 byte order mark", [0xEF, 0xBB, 0xBF] + Array(base(replacing: 1, with: "version: STSv1").utf8),
               [error(1, 1, "byte order mark")]),
    ParserCase("non-ASCII mode", base(replacing: 2, with: "mode: tésting"), [error(2, 8, "non-ASCII character \"é\"")]),
    ParserCase("non-ASCII mx names the A-label", base(replacing: 3, with: "mx: bücher.example"),
               [error(3, 5, "mx \"bücher.example\" is not ASCII")]),
    // mx
    mxCase("empty mx", "", [error(3, 5, "mx has no value")]),
    mxCase("wildcard in a middle label", "mail.*.example.com", [error(3, 10, "wildcard below the left-most label")]),
    mxCase("bare wildcard", "*", [error(3, 5, "is a bare wildcard")]),
    mxCase("wildcard with only a dot", "*.", [error(3, 5, "is a bare wildcard")]),
    mxCase("double star", "**.x", [error(3, 5, "a wildcard must be the whole left-most label")]),
    mxCase("star glued to a label", "*example.com", [error(3, 5, "a wildcard must be the whole left-most label")]),
    mxCase("two wildcard labels", "*.*.example.com", [error(3, 7, "wildcard below the left-most label")]),
    mxCase("trailing dot", "mail.example.com.", [error(3, 21, "ends with a dot")]),
    mxCase("empty label", "mail..example.com", [error(3, 10, "has an empty label")]),
    mxCase("leading dot", ".example.com", [error(3, 5, "has an empty label")]),
    mxCase("label starts with a hyphen", "-mail.example.com", [error(3, 5, "starts with \"-\"")]),
    mxCase("label ends with a hyphen", "mail-.example.com", [error(3, 9, "ends with \"-\"")]),
    mxCase("underscore", "mail_1.example.com", [error(3, 9, "contains \"_\"")]),
    mxCase("space inside", "mail example.com", [error(3, 9, "contains a space")]),
    mxCase("label of 64", String(repeating: "a", count: 64) + ".example.com", [error(3, 68, "label of 64 characters")]),
    mxCase("name of 255", Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: "."),
           [error(3, 258, "is 255 characters long")]),
    mxCase("IP address", "192.0.2.1", [error(3, 13, "all-digit label")]),
    // size
    ParserCase("exactly 64 KiB", padded(to: 65536), [warning(4, 10191, "policy is 65536 bytes")]),
    ParserCase("64 KiB and one byte", padded(to: 65537), [error(4, 65487, "policy is 65537 bytes, over the 65536-byte")]),
]

let warningCases: [ParserCase] = [
    ParserCase("max_age 0 in testing", base(replacing: 4, with: "max_age: 0"), [warning(4, 10, "under one day")],
               policy: Policy(mode: .testing, mx: ["mail.example.com"], maxAge: 0)),
    ParserCase("enforce under a week", lines("version: STSv1", "mode: enforce", "mx: mail.example.com", "max_age: 86400"),
               [warning(4, 10, "under one week (604800) for mode enforce")],
               policy: Policy(mode: .enforce, mx: ["mail.example.com"], maxAge: 86400)),
    ParserCase("version not first", lines("mode: testing", "version: STSv1", "mx: mail.example.com", "max_age: 86400"),
               [warning(2, 1, "version should be the first line (found on line 2)")], policy: testing),
    ParserCase("duplicate mx", base(replacing: 3, with: "mx: mail.example.com\nmx: mail.example.com"),
               [warning(4, 5, "duplicate mx \"mail.example.com\" (the first is on line 3)")], policy: testing),
    ParserCase("duplicate mx differing in case", base(replacing: 3, with: "mx: mail.example.com\nmx: MAIL.example.com"),
               [warning(4, 5, "duplicate mx")], policy: testing),
    ParserCase("upper-case mx is lowered", base(replacing: 3, with: "mx: Mail.Example.COM"),
               [warning(3, 5, "has upper case letters; served as \"mail.example.com\"")], policy: testing),
    ParserCase("unknown key", base(replacing: 4, with: "max_age: 86400\nowner: postmaster"),
               [warning(5, 1, "unknown key \"owner\"")], policy: testing),
    ParserCase("single-label mx", base(replacing: 3, with: "mx: localhost"), [warning(3, 5, "single label")],
               policy: Policy(mode: .testing, mx: ["localhost"], maxAge: 86400)),
    ParserCase("MX is an unknown key, so testing lacks mx", base(replacing: 3, with: "MX: mail.example.com"),
               [error(2, 7, "needs at least one mx"), warning(3, 1, "unknown key \"MX\"")]),
    ParserCase("over 10 KiB", padded(to: 10241), [warning(4, 10191, "only the first 10240")], policy: testing),
]

@Suite struct PolicyParserTests {
    @Test(arguments: validCases + errorCases + warningCases)
    func diagnostics(_ testCase: ParserCase) {
        let result = PolicyParser.parse(testCase.input)
        let found = result.diagnostics.map { "\($0.line):\($0.column): \($0.severity.rawValue): \($0.message)" }
        #expect(result.diagnostics.count == testCase.expected.count, "\(found)")
        for (diagnostic, expected) in zip(result.diagnostics, testCase.expected) {
            #expect(expected.matches(diagnostic), "expected \(expected), found \(diagnostic)")
        }
        #expect((result.policy == nil) == result.hasErrors)
        if let policy = testCase.policy {
            #expect(result.policy == policy)
        }
    }

    @Test func enoughCases() {
        #expect(validCases.count + errorCases.count + warningCases.count >= 40)
    }

    /// The fix line is what makes a diagnostic useful; pin the ones that compute a repair.
    @Test(arguments: [
        (base(replacing: 2, with: "mode: Enforce"), "write \"mode: enforce\" (values are case-sensitive)"),
        (base(replacing: 4, with: "max_age: +86400"), "write \"max_age: 86400\" (no sign)"),
        (base(replacing: 4, with: "max_age: 1d"), "write \"max_age: 86400\""),
        (base(replacing: 4, with: "max_age: 2w"), "write \"max_age: 1209600\""),
        (base(replacing: 3, with: "mx : mail.example.com"), "write \"mx: mail.example.com\""),
        (base(replacing: 3, with: "mx: bücher.example"), "write \"mx: xn--bcher-kva.example\""),
        (base(replacing: 3, with: "mx: *.bücher.example"), "write \"mx: *.xn--bcher-kva.example\""),
        (base(replacing: 3, with: "mx: mail.example.com."), "write \"mx: mail.example.com\" (no trailing dot)"),
        (base(replacing: 2, with: "mode testing"), "write \"mode: testing\""),
        (base(replacing: 1, with: "Version: STSv1"), "write \"version:\""),
        (base(replacing: 4, with: "max-age: 86400"), "write \"max_age:\""),
        (base(replacing: 4, with: "max_age: 31557601"), "write \"max_age: 31557600\""),
        (base(replacing: 1, with: "version: stsv1"), "(values are case-sensitive)"),
    ])
    func fixHints(_ input: String, _ fix: String) {
        let fixes = PolicyParser.parse(Array(input.utf8)).diagnostics.compactMap(\.fix)
        #expect(fixes.contains { $0.contains(fix) }, "\(fixes)")
    }

    @Test func diagnosticDescription() {
        let diagnostic = Diagnostic(severity: .error, line: 3, column: 7, message: "bad", fix: "good")
        #expect(diagnostic.description == "3:7: error: bad\n  fix: good")
        #expect(Diagnostic(severity: .warning, line: 0, column: 0, message: "m").description == "warning: m")
    }
}
