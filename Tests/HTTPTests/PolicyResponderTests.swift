import Testing
@testable import HTTP

struct PolicyResponderTests {
    static let policy = PolicyResponse(policyID: "abc123", body: Array("version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n".utf8))
    let responder = PolicyResponder { host in host == "mta-sts.a.test" ? PolicyResponderTests.policy : nil }

    func request(_ method: HTTPRequestHead.Method = .get, path: String = PolicyResponder.policyPath,
                 host: String? = "mta-sts.a.test", version: HTTPRequestHead.Version = .http11,
                 ifNoneMatch: String? = nil, keepAlive: Bool = true, hasBody: Bool = false) -> HTTPRequestHead {
        HTTPRequestHead(method: method, path: path, version: version, host: host, ifNoneMatch: ifNoneMatch,
                        keepAlive: keepAlive, hasBody: hasBody)
    }

    @Test func servesThePolicyForTheSNIHost() {
        let decision = responder.decide(request(), serverName: "mta-sts.a.test")
        #expect(decision.answer == .policy(Self.policy, notModified: false))
        #expect(!decision.close && !decision.omitBody)
    }

    @Test(arguments: [
        ("\"abc123\"", true), ("W/\"abc123\"", true), ("*", true), ("\"x\", \"abc123\"", true), ("\"other\"", false),
    ])
    func answersConditionalRequests(ifNoneMatch: String, notModified: Bool) {
        let decision = responder.decide(request(ifNoneMatch: ifNoneMatch), serverName: "mta-sts.a.test")
        #expect(decision.answer == .policy(Self.policy, notModified: notModified))
    }

    @Test func routesEveryOtherCase() {
        let cases: [(HTTPRequestHead, String?, HTTPStatus)] = [
            (request(path: "/"), "mta-sts.a.test", .notFound),
            (request(path: "/.well-known/mta-sts.txt/"), "mta-sts.a.test", .notFound),
            (request(.other("POST")), "mta-sts.a.test", .methodNotAllowed),
            (request(host: "mta-sts.b.test"), "mta-sts.a.test", .misdirectedRequest),
            (request(host: "mta-sts.nopolicy.test"), "mta-sts.nopolicy.test", .notFound),
            (request(hasBody: true), "mta-sts.a.test", .badRequest),
            (request(host: "mta-sts.b.test"), nil, .notFound),
        ]
        for (head, serverName, status) in cases {
            #expect(responder.decide(head, serverName: serverName).answer == .status(status), "\(head)")
        }
    }

    @Test func routesByHostWhenTheClientSentNoSNI() {
        #expect(responder.decide(request(), serverName: nil).answer == .policy(Self.policy, notModified: false))
        let http10 = request(host: nil, version: .http10, keepAlive: false)
        #expect(responder.decide(http10, serverName: nil, defaultHost: "mta-sts.a.test").answer
                == .policy(Self.policy, notModified: false))
    }

    @Test func closesWhenAskedAndOmitsBodiesForHead() {
        #expect(responder.decide(request(keepAlive: false), serverName: "mta-sts.a.test").close)
        #expect(responder.decide(request(.head), serverName: "mta-sts.a.test").omitBody)
        #expect(responder.decide(request(hasBody: true), serverName: "mta-sts.a.test").close)
    }
}
