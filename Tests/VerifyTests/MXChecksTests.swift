import DNSClient
import MTASTS
import TLS
import Testing
@testable import Verify

struct MXChecksTests {
    @Test(arguments: [
        ("mx1.example.com", "mx1.example.com", true),
        ("MX1.Example.COM.", "mx1.example.com", true),
        ("mx1.example.com", "*.example.com", true),
        ("a.b.example.com", "*.example.com", false),
        ("example.com", "*.example.com", false),
        ("mx1.example.net", "*.example.com", false),
        ("mx1.example.com", "mx2.example.com", false),
    ])
    func wildcardsCoverExactlyOneLabel(host: String, pattern: String, matches: Bool) {
        #expect(MXHostMatch.matches(host, pattern: pattern) == matches)
    }

    private func exchangers(_ hosts: String...) -> DNSAnswer<MailExchanger> {
        .records(hosts.enumerated().map { MailExchanger(preference: 10 * ($0.offset + 1), exchange: $0.element + ".") })
    }

    @Test func everyMXCoveredPasses() {
        let results = MXCoverageCheck.evaluate(domain: "example.com", exchangers: exchangers("mx1.example.com", "mx2.example.com"),
                                               patterns: ["*.example.com"])
        #expect(results.map(\.status) == [.pass, .pass])
        #expect(results.map(\.target) == ["mx1.example.com", "mx2.example.com"])
    }

    @Test func anUncoveredMXFailsAndAnUnusedPatternWarns() {
        let results = MXCoverageCheck.evaluate(domain: "example.com", exchangers: exchangers("mx1.example.com", "a.b.example.net"),
                                               patterns: ["mx1.example.com", "*.example.net", "old.example.com"])
        #expect(results.map(\.target) == ["mx1.example.com", "a.b.example.net", "*.example.net", "old.example.com"])
        #expect(results.map(\.status) == [.pass, .fail, .warn, .warn])
        #expect(results[1].message.contains("add \"mx: a.b.example.net\""))
    }

    @Test func withoutAPolicyEachMXIsSkippedAndWithoutMXTheDomainFails() {
        let skipped = MXCoverageCheck.evaluate(domain: "example.com", exchangers: exchangers("mx1.example.com"), patterns: nil)
        #expect(skipped.map(\.status) == [.skip])
        let none = MXCoverageCheck.evaluate(domain: "example.com", exchangers: .records([]), patterns: ["mx.example.com"])
        #expect(none.map(\.status) == [.fail])
        #expect(MXCoverageCheck.evaluate(domain: "example.com", exchangers: .failed("SERVFAIL"), patterns: []).first?.message.contains("SERVFAIL") == true)
    }

    private let now = 1_800_000_000
    private func peer(names: [String] = ["mx1.example.com"], chainProblem: String? = nil, daysLeft: Int = 60,
                      version: String = "TLSv1.3") -> TLSPeer {
        TLSPeer(protocolVersion: version, chainProblem: chainProblem, dnsNames: names, notBefore: now - 86_400,
                notAfter: now + daysLeft * 86_400)
    }

    @Test func aTrustedCertificateNamingTheHostPasses() {
        #expect(MXTLSCheck.evaluate(.negotiated(peer()), host: "mx1.example.com", now: now).status == .pass)
        #expect(MXTLSCheck.evaluate(.negotiated(peer(names: ["*.example.com"])), host: "mx1.example.com", now: now).status == .pass)
    }

    @Test func certificateProblemsFailAndNearExpiryWarns() {
        let host = "mx1.example.com"
        let otherName = MXTLSCheck.evaluate(.negotiated(peer(names: ["mail.example.org"])), host: host, now: now)
        #expect(otherName.status == .fail)
        #expect(otherName.message.contains("mail.example.org"))
        let shallow = MXTLSCheck.evaluate(.negotiated(peer(names: ["*.example.com"])), host: "a.mx1.example.com", now: now)
        #expect(shallow.status == .fail)
        let untrusted = MXTLSCheck.evaluate(.negotiated(peer(chainProblem: "unable to get local issuer certificate")), host: host, now: now)
        #expect(untrusted.status == .fail)
        #expect(untrusted.message.contains("unable to get local issuer certificate"))
        let expired = MXTLSCheck.evaluate(.negotiated(peer(chainProblem: "certificate has expired", daysLeft: -1)), host: host, now: now)
        #expect(expired.status == .fail)
        #expect(expired.message.contains("expired"))
        let soon = MXTLSCheck.evaluate(.negotiated(peer(daysLeft: 5)), host: host, now: now)
        #expect(soon.status == .warn)
        #expect(soon.message.contains("5 days"))
    }

    @Test func dialogueFailuresFailWithTheStep() {
        let host = "mx1.example.com"
        let noSTARTTLS = MXTLSCheck.evaluate(.noSTARTTLS(extensions: ["PIPELINING", "8BITMIME"]), host: host, now: now).message
        #expect(noSTARTTLS.contains("STARTTLS not offered"))
        #expect(noSTARTTLS.contains("it offered PIPELINING 8BITMIME"))
        #expect(MXTLSCheck.evaluate(.timedOut(step: "EHLO"), host: host, now: now).message.contains("timed out at EHLO"))
        #expect(MXTLSCheck.evaluate(.handshakeFailed("unsupported protocol"), host: host, now: now).message.contains("unsupported protocol"))
        for outcome in [STARTTLSOutcome.unresolved("NXDOMAIN"), .unreachable("refused"), .unexpected(step: "EHLO", reply: "554 no")] {
            #expect(MXTLSCheck.evaluate(outcome, host: host, now: now).status == .fail)
        }
    }

    @Test func smtpRepliesAreSplitIntoMultilineReplies() throws {
        var reader = SMTPReplyReader()
        try reader.append(Array("220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250-starttls\r\n".utf8))
        #expect(try reader.next() == SMTPReply(code: 220, lines: ["mx ESMTP"]))
        #expect(try reader.next() == nil)
        try reader.append(Array("250 8BITMIME\r\n".utf8))
        let ehlo = try #require(try reader.next())
        #expect(ehlo.extensions == ["PIPELINING", "STARTTLS", "8BITMIME"])
        try reader.append(Array("220\n".utf8))
        #expect(try reader.next() == SMTPReply(code: 220, lines: [""]))
    }

    @Test func nonSMTPInputAndEndlessRepliesStopTheReader() throws {
        var reader = SMTPReplyReader()
        try reader.append(Array("HTTP/1.1 400 Bad Request\r\n".utf8))
        #expect(throws: SMTPReplyReader.Failure.self) { try reader.next() }
        var endless = SMTPReplyReader()
        #expect(throws: SMTPReplyReader.Failure.tooLong) {
            for _ in 0..<10_000 { try endless.append(Array("250-x\r\n".utf8)); _ = try endless.next() }
        }
    }
}
