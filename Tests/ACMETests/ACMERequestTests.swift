import FoundationEssentials
import Testing
@testable import ACME
import TLS
import HTTPSFetch

/// Signed requests against a scripted CA: the JWS shape, nonce handling, badNonce retries and problem documents.
struct ACMERequestTests {
    let key: ACMESigningKey

    init() throws { key = try ACMESigningKey.generate() }

    private func client(_ transport: ScriptedTransport, contact: String? = "hostmaster@example.test") -> ACMEClient {
        ACMEClient(directoryURL: ScriptedTransport.directoryURL, accountKey: key, contact: contact,
                   transport: transport, clock: .fake())
    }

    /// directory, newNonce and newAccount as a CA answers them.
    private static func basics(_ request: HTTPRequest) -> (status: Int, headers: [(String, String)], body: String)? {
        switch (request.method, request.url) {
        case (.get, ScriptedTransport.directoryURL): return (200, [], ScriptedTransport.directory)
        case (.head, "https://ca.test/nonce"): return (200, [], "")
        case (.post, "https://ca.test/account"):
            return (201, [("Location", "https://ca.test/acct/1")], #"{"status":"valid"}"#)
        default: return nil
        }
    }

    @Test func newAccountIsSignedWithTheJWKAndLaterRequestsWithTheKid() throws {
        let transport = ScriptedTransport { request, _ in
            Self.basics(request) ?? (201, [("Location", "https://ca.test/order/1")],
                                     #"{"status":"pending","authorizations":[],"finalize":"https://ca.test/fin"}"#)
        }
        let client = client(transport)
        #expect(try client.account(existingURL: nil) == "https://ca.test/acct/1")
        _ = try client.post("https://ca.test/order/1", payload: nil)

        let posts = transport.sent.filter { $0.request.method == .post }
        #expect(posts.count == 2)
        let account = try #require(posts[0].protectedHeader)
        #expect(account.alg == "ES256")
        #expect(account.url == "https://ca.test/account")
        #expect(account.jwk == key.jwk)
        #expect(account.kid == nil)
        #expect(account.nonce == "n1")  // from the HEAD to newNonce
        #expect(posts[0].payload == #"{"contact":["mailto:hostmaster@example.test"],"termsOfServiceAgreed":true}"#)
        #expect(posts[0].request.headers.contains { $0.name == "Content-Type" && $0.value == "application/jose+json" })

        let later = try #require(posts[1].protectedHeader)
        #expect(later.kid == "https://ca.test/acct/1")
        #expect(later.jwk == nil)
        #expect(later.nonce == "n2")  // the Replay-Nonce of the newAccount answer, no second HEAD
        #expect(posts[1].payload == "")  // POST-as-GET
        #expect(transport.sent.filter { $0.request.method == .head }.count == 1)
    }

    @Test func theSignatureVerifiesOverProtectedDotPayload() throws {
        let transport = ScriptedTransport { request, _ in Self.basics(request) ?? (404, [], "") }
        _ = try client(transport).account(existingURL: nil)
        let post = try #require(transport.sent.last { $0.request.method == .post })
        let jws = try JSONDecoder().decode(JWS.Flattened.self, from: Data(post.request.body))
        let signature = Base64URL.decode(jws.signature) ?? []
        #expect(signature.count == 64)
    }

    @Test func badNonceIsRetriedWithTheNonceFromTheErrorAnswer() throws {
        var rejections = 2
        let transport = ScriptedTransport { request, _ in
            if request.url == "https://ca.test/account", rejections > 0 {
                rejections -= 1
                return (400, [("Content-Type", "application/problem+json")],
                        #"{"type":"urn:ietf:params:acme:error:badNonce","detail":"JWS has an invalid anti-replay nonce"}"#)
            }
            return Self.basics(request) ?? (404, [], "")
        }
        let client = client(transport)
        #expect(try client.account(existingURL: nil) == "https://ca.test/acct/1")
        let nonces = transport.sent.compactMap { $0.protectedHeader?.nonce }
        // n1 came with the HEAD; each rejected POST's own answer carried the next nonce.
        #expect(nonces == ["n1", "n2", "n3"])
        #expect(client.badNonceRetries == 2)
    }

    @Test func badNonceGivesUpAfterABoundedNumberOfAttempts() throws {
        let transport = ScriptedTransport { request, _ in
            if request.url == "https://ca.test/account" {
                return (400, [], #"{"type":"urn:ietf:params:acme:error:badNonce","detail":"no"}"#)
            }
            return Self.basics(request) ?? (404, [], "")
        }
        let client = client(transport)
        let problem = try #require(throws: ACMEProblem.self) { try client.account(existingURL: nil) }
        #expect(problem.type == ACMEProblem.badNonce)
        #expect(transport.sent.filter { $0.request.method == .post }.count == ACMEClient.badNonceAttempts)
        #expect(client.badNonceRetries == ACMEClient.badNonceAttempts - 1)
    }

    @Test func otherProblemsAreThrownWithStatusDetailSubproblemsAndRetryAfter() throws {
        let transport = ScriptedTransport { request, _ in
            if request.url == "https://ca.test/order" {
                return (429, [("content-type", "application/problem+json"), ("retry-after", "3600")], """
                    {"type":"urn:ietf:params:acme:error:rateLimited","detail":"too many certificates",
                     "subproblems":[{"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"nope",
                                     "identifier":{"type":"dns","value":"mta-sts.example.test"}}]}
                    """)
            }
            return Self.basics(request) ?? (404, [], "")
        }
        let client = client(transport)
        let problem = try #require(throws: ACMEProblem.self) {
            try client.issueCertificate(for: "mta-sts.example.test", responder: RecordingResponder()) { _ in }
        }
        #expect(problem.type == ACMEProblem.rateLimited)
        #expect(problem.status == 429)
        #expect(problem.retryAfter == 3600)
        #expect(problem.url == "https://ca.test/order")
        #expect(problem.detail == "too many certificates; mta-sts.example.test: urn:ietf:params:acme:error:rejectedIdentifier: nope")
        #expect(transport.sent.filter { $0.request.url == "https://ca.test/order" }.count == 1)
    }

    @Test func anAnswerThatIsNoProblemDocumentStillBecomesAProblem() throws {
        let transport = ScriptedTransport { request, _ in
            request.url == "https://ca.test/account" ? (502, [], "<html>Bad Gateway</html>") : Self.basics(request) ?? (404, [], "")
        }
        let problem = try #require(throws: ACMEProblem.self) { try client(transport).account(existingURL: nil) }
        #expect(problem.status == 502)
        #expect(problem.type == "about:blank")
        #expect(problem.detail == "<html>Bad Gateway</html>")
    }

    @Test func keyAuthorizationIsTokenDotThumbprint() throws {
        let client = client(ScriptedTransport { _, _ in (404, [], "") })
        #expect(client.keyAuthorization(token: "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA")
                == "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA." + key.thumbprint)
    }
}
