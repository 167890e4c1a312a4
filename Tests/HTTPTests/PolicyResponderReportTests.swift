import Testing
@testable import HTTP

/// The report route (`serve --reports`): POST /tlsrpt on a served policy host, and nothing else.
struct PolicyResponderReportTests {
    let responder = PolicyResponder { host in host == "mta-sts.a.test" ? PolicyResponderTests.policy : nil }

    func post(_ method: HTTPRequestHead.Method = .other("POST"), host: String? = "mta-sts.a.test",
              hasBody: Bool = true) -> HTTPRequestHead {
        HTTPRequestHead(method: method, path: PolicyResponder.reportPath, version: .http11, host: host, hasBody: hasBody)
    }

    @Test func aPostOnAServedHostIsReceived() {
        let decision = responder.decide(post(), serverName: "mta-sts.a.test", acceptsReports: true)
        #expect(decision.answer == .receiveReport(host: "mta-sts.a.test") && !decision.close)
    }

    @Test func otherMethodsAre405NamingPost() {
        let decision = responder.decide(post(.get, hasBody: false), serverName: "mta-sts.a.test", acceptsReports: true)
        #expect(decision.answer == .plain(PlainAnswer(.methodNotAllowed, "reports are POSTed", allow: "POST")))
        // A GET with a body: refused, and the connection closed (the body is not read).
        #expect(responder.decide(post(.get), serverName: "mta-sts.a.test", acceptsReports: true).close)
    }

    @Test func unservedOrMisdirectedHostsAreNotReceived() {
        #expect(responder.decide(post(host: "mta-sts.b.test"), serverName: "mta-sts.b.test", acceptsReports: true)
            .answer == .status(.notFound))
        #expect(responder.decide(post(host: "mta-sts.b.test"), serverName: "mta-sts.a.test", acceptsReports: true)
            .answer == .status(.misdirectedRequest))
    }

    @Test func withoutReportsThePathIsLikeAnyOther() {
        #expect(responder.decide(post(), serverName: "mta-sts.a.test").answer == .status(.badRequest))
        #expect(responder.decide(post(.get, hasBody: false), serverName: "mta-sts.a.test").answer == .status(.notFound))
    }
}
