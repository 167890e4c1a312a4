import Testing
@testable import ACME
import TLS

/// An order against a scripted CA: the steps in order, polling by Retry-After, and the challenge removed however
/// the order ends.
struct ACMEFlowTests {
    let key: ACMESigningKey

    init() throws { key = try ACMESigningKey.generate() }

    /// A CA whose authorization turns `authorizationResult` after the challenge is announced and one poll.
    private func transport(authorizationResult: String, certificate: String = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n") -> ScriptedTransport {
        var challengeAnnounced = false, polls = 0, finalized = false
        return ScriptedTransport { request, _ in
            switch request.url {
            case ScriptedTransport.directoryURL: return (200, [], ScriptedTransport.directory)
            case "https://ca.test/nonce": return (200, [], "")
            case "https://ca.test/account": return (200, [("Location", "https://ca.test/acct/1")], #"{"status":"valid"}"#)
            case "https://ca.test/order":
                return (201, [("Location", "https://ca.test/order/1")], """
                    {"status":"pending","authorizations":["https://ca.test/authz/1"],"finalize":"https://ca.test/fin/1"}
                    """)
            case "https://ca.test/authz/1":
                var status = "pending"
                if challengeAnnounced { polls += 1; if polls > 1 { status = authorizationResult } }
                let error = status == "invalid"
                    ? #","error":{"type":"urn:ietf:params:acme:error:connection","detail":"refused","status":400}"# : ""
                return (200, [("Retry-After", "2")], """
                    {"status":"\(status)","identifier":{"type":"dns","value":"mta-sts.example.test"},
                     "challenges":[{"type":"http-01","url":"https://ca.test/chall/h","status":"pending","token":"h"},
                                   {"type":"tls-alpn-01","url":"https://ca.test/chall/t","status":"pending",
                                    "token":"tok"\(error)}]}
                    """)
            case "https://ca.test/chall/t":
                challengeAnnounced = true
                return (200, [], #"{"type":"tls-alpn-01","url":"https://ca.test/chall/t","status":"processing","token":"tok"}"#)
            case "https://ca.test/order/1":
                let status = finalized ? "valid" : "ready"
                return (200, [], """
                    {"status":"\(status)","authorizations":["https://ca.test/authz/1"],"finalize":"https://ca.test/fin/1"
                     \(finalized ? #","certificate":"https://ca.test/cert/1""# : "")}
                    """)
            case "https://ca.test/fin/1":
                finalized = true
                return (200, [], """
                    {"status":"processing","authorizations":["https://ca.test/authz/1"],"finalize":"https://ca.test/fin/1"}
                    """)
            case "https://ca.test/cert/1":
                return (200, [("Content-Type", "application/pem-certificate-chain")], certificate)
            default:
                return (404, [], "")
            }
        }
    }

    @Test func anOrderRunsItsStepsAndRemovesTheChallengeAfterwards() throws {
        let transport = transport(authorizationResult: "valid")
        let clock = ACMEClock.fake()
        let client = ACMEClient(directoryURL: ScriptedTransport.directoryURL, accountKey: key, contact: nil,
                                transport: transport, clock: clock)
        let responder = RecordingResponder()
        var progress: [String] = []
        let issued = try client.issueCertificate(for: "mta-sts.example.test", responder: responder) { progress.append($0) }

        #expect(issued.fullChainPEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(issued.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(responder.log == ["install mta-sts.example.test [\"mta-sts.example.test\"]", "remove mta-sts.example.test"])
        let posted = transport.sent.filter { $0.request.method == .post }.map(\.request.url)
        #expect(posted == ["https://ca.test/account", "https://ca.test/order", "https://ca.test/authz/1",
                           "https://ca.test/chall/t", "https://ca.test/authz/1", "https://ca.test/authz/1",
                           "https://ca.test/order/1", "https://ca.test/fin/1", "https://ca.test/order/1",
                           "https://ca.test/cert/1"])
        let challenge = try #require(transport.sent.first { $0.request.url == "https://ca.test/chall/t" })
        #expect(challenge.payload == "{}")
        let finalize = try #require(transport.sent.first { $0.request.url == "https://ca.test/fin/1" })
        #expect(finalize.payload.hasPrefix(#"{"csr":"MI"#))
        let download = try #require(transport.sent.last)
        #expect(download.request.headers.contains { $0.name == "Accept" && $0.value == "application/pem-certificate-chain" })
        #expect(clock.now() == 2)  // one wait, the authorization's Retry-After
        #expect(progress.count == 5)
    }

    @Test func aFailedChallengeThrowsItsProblemAndStillRemovesTheCertificate() throws {
        let client = ACMEClient(directoryURL: ScriptedTransport.directoryURL, accountKey: key, contact: nil,
                                transport: transport(authorizationResult: "invalid"), clock: .fake())
        let responder = RecordingResponder()
        let problem = try #require(throws: ACMEProblem.self) {
            try client.issueCertificate(for: "mta-sts.example.test", responder: responder) { _ in }
        }
        #expect(problem.type == "urn:ietf:params:acme:error:connection")
        #expect(problem.detail == "refused")
        #expect(problem.url == "https://ca.test/chall/t")
        #expect(responder.log.last == "remove mta-sts.example.test")
    }

    @Test func anAuthorizationThatNeverSettlesGivesUpAfterTheDeadline() throws {
        let clock = ACMEClock.fake()
        let client = ACMEClient(directoryURL: ScriptedTransport.directoryURL, accountKey: key, contact: nil,
                                transport: transport(authorizationResult: "pending"), clock: clock)
        let responder = RecordingResponder()
        #expect(throws: ACMEError.self) {
            try client.issueCertificate(for: "mta-sts.example.test", responder: responder) { _ in }
        }
        #expect(clock.now() <= PollSchedule.defaultTimeoutSeconds)
        #expect(clock.now() >= PollSchedule.defaultTimeoutSeconds - 2)
        #expect(responder.log.last == "remove mta-sts.example.test")
    }
}
