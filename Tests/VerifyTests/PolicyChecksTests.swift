import MTASTS
import TLS
import Testing
@testable import Verify

struct PolicyChecksTests {
    private let host = "mta-sts.example.com"
    private let url = "https://mta-sts.example.com/.well-known/mta-sts.txt"
    private let now = 1_800_000_000
    private let body = Array("version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 604800\n".utf8)

    private func fetch(_ outcome: PolicyFetchOutcome, daysLeft: Int = 60) -> (CheckResult, [UInt8]?) {
        let peer = TLSPeer(protocolVersion: "TLSv1.3", chainProblem: nil, dnsNames: [host], notBefore: now - 86_400,
                           notAfter: now + daysLeft * 86_400)
        return PolicyFetchCheck.evaluate(outcome, peer: peer, host: host, url: url, now: now)
    }

    @Test func a200TextPlainPassesAndHandsOverTheBody() {
        let (result, fetched) = fetch(.response(status: 200, contentType: "text/plain; charset=utf-8", location: nil, body: body))
        #expect(result.status == .pass)
        #expect(result.target == url)
        #expect(fetched == body)
    }

    @Test func redirectsOtherStatusesAndMediaTypesFail() {
        let redirect = fetch(.response(status: 301, contentType: "text/html", location: "https://example.com/", body: []))
        #expect(redirect.0.status == .fail)
        #expect(redirect.0.message.contains("301 redirect to https://example.com/"))
        #expect(redirect.1 == nil)
        #expect(fetch(.response(status: 404, contentType: "text/plain", location: nil, body: [])).0.status == .fail)
        let html = fetch(.response(status: 200, contentType: "text/html", location: nil, body: body))
        #expect(html.0.status == .fail)
        #expect(html.1 == nil)
        #expect(fetch(.response(status: 200, contentType: nil, location: nil, body: body)).0.status == .fail)
        #expect(fetch(.failed("SSL certificate problem: certificate has expired")).0.message.contains("expired"))
        #expect(fetch(.unresolved("NXDOMAIN")).0.message.contains("mta-sts.example.com does not resolve"))
    }

    @Test func aCertificateNearItsEndWarnsButTheBodyIsStillRead() {
        let (result, fetched) = fetch(.response(status: 200, contentType: "text/plain", location: nil, body: body), daysLeft: 3)
        #expect(result.status == .warn)
        #expect(result.message.contains("3 days"))
        #expect(fetched == body)
    }

    @Test func theSyntaxCheckUsesTheProjectValidator() {
        let valid = PolicySyntaxCheck.evaluate(body, url: url, local: nil)
        #expect(valid.0.status == .pass)
        #expect(valid.1?.mx == ["mx1.example.com"])
        let broken = PolicySyntaxCheck.evaluate(Array("version: STSv1\nmode: enforced\nmx: mx1.example.com\nmax_age: 86400\n".utf8), url: url, local: nil)
        #expect(broken.0.status == .fail)
        #expect(broken.0.message.contains("line 2"))
        #expect(broken.1 == nil)
        #expect(PolicySyntaxCheck.evaluate(nil, url: url, local: nil).0.status == .skip)
    }

    @Test func aServedPolicyThatDiffersFromTheLocalFileFails() throws {
        let local = try #require(PolicyParser.parse(body).policy).canonicalBytes
        #expect(PolicySyntaxCheck.evaluate(body, url: url, local: local).0.status == .pass)
        let other = Array("version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 604800\n".utf8)
        let differs = PolicySyntaxCheck.evaluate(other, url: url, local: local)
        #expect(differs.0.status == .fail)
        #expect(differs.0.message.contains("differs from the local file"))
    }

    @Test func theReportRendersEveryCheckAndFailsOnlyOnFailuresUnlessStrict() {
        let results = [DomainVerification(domain: "example.com", checks: [
            CheckResult(.dnsTXT, "_mta-sts.example.com", .pass, "ok"),
            CheckResult(.tlsrpt, "_smtp._tls.example.com", .warn, "missing"),
        ])]
        #expect(!results[0].fails(strict: false))
        #expect(results[0].fails(strict: true))
        let text = VerificationOutput.text(results)
        #expect(text.contains("example.com: tlsrpt _smtp._tls.example.com: warn: missing\n"))
        #expect(text.hasSuffix("verified 1 domain: 1 pass, 1 warn, 0 fail, 0 skip\n"))
        let json = VerificationOutput.json(results).compact
        #expect(json.contains(#"{"check":"dns-txt","target":"_mta-sts.example.com","status":"pass","message":"ok"}"#))
    }
}

struct VerificationSummaryTests {
    @Test func oneSeriesPerDomainAndCheckFailingWhenAnyTargetFails() {
        let summary = VerificationSummary([DomainVerification(domain: "example.com", checks: [
            CheckResult(.mxTLS, "mx1.example.com", .pass, ""),
            CheckResult(.mxTLS, "mx2.example.com", .fail, ""),
            CheckResult(.mxCoverage, "mx1.example.com", .pass, ""),
            CheckResult(.mxCoverage, "*.old.example.com", .warn, ""),
            CheckResult(.dnsID, "_mta-sts.example.com", .skip, ""),
        ])])
        let tls = VerificationSummary.Key(domain: "example.com", check: .mxTLS)
        let coverage = VerificationSummary.Key(domain: "example.com", check: .mxCoverage)
        #expect(summary.passing == [tls: false, coverage: true])
        #expect(summary.warnings == [tls: 0, coverage: 1])
    }
}
