import FoundationEssentials
import Synchronization
@testable import ACME
import TLS
import HTTPSFetch

/// A CA in a closure: answers each request from `route` and records what was sent, so the protocol logic can be
/// tested without a network. Hands out nonces "n1", "n2", ... on every answer to a HEAD or POST, as a CA does.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    struct Sent {
        let request: HTTPRequest
        /// The decoded JWS of a POST.
        var protectedHeader: ProtectedHeader?
        var payload: String = ""
    }

    struct ProtectedHeader: Decodable {
        let alg: String
        let nonce: String
        let url: String
        let jwk: JSONWebKey?
        let kid: String?
    }

    private(set) var sent: [Sent] = []
    private var nonceCount = 0
    private let route: (HTTPRequest, Int) -> (status: Int, headers: [(String, String)], body: String)

    /// `route` gets the request and how many requests came before it.
    init(route: @escaping (HTTPRequest, Int) -> (status: Int, headers: [(String, String)], body: String)) {
        self.route = route
    }

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        var record = Sent(request: request)
        if request.method == .post, let jws = try? JSONDecoder().decode(JWS.Flattened.self, from: Data(request.body)) {
            let header = Base64URL.decode(jws.protected) ?? []
            record.protectedHeader = try JSONDecoder().decode(ProtectedHeader.self, from: Data(header))
            record.payload = String(decoding: Base64URL.decode(jws.payload) ?? [], as: UTF8.self)
        }
        let answer = route(request, sent.count)
        sent.append(record)
        var headers = answer.headers.map { (name: $0.0, value: $0.1) }
        if request.method != .get {
            nonceCount += 1
            headers.append((name: "Replay-Nonce", value: "n\(nonceCount)"))
        }
        return HTTPResponse(status: answer.status, headers: HTTPResponseHeaders(headers), body: Array(answer.body.utf8))
    }

    static let directoryURL = "https://ca.test/dir"
    static let directory = """
        {"newNonce":"https://ca.test/nonce","newAccount":"https://ca.test/account","newOrder":"https://ca.test/order",
         "renewalInfo":"https://ca.test/ari/"}
        """
}

/// Records what the client installs and removes.
final class RecordingResponder: ChallengeResponder, @unchecked Sendable {
    private let events = Mutex<[String]>([])
    var log: [String] { events.withLock { $0 } }

    func install(name: String, certificate: CertificateKeyPair) {
        events.withLock { $0.append("install \(name) \(certificate.dnsNames)") }
    }

    func remove(name: String) { events.withLock { $0.append("remove \(name)") } }
}

extension ACMEClock {
    /// No waiting: time advances by what the client sleeps.
    static func fake() -> ACMEClock {
        let elapsed = Mutex(0.0)
        return ACMEClock(now: { elapsed.withLock { $0 } }, sleep: { seconds in elapsed.withLock { $0 += seconds } },
                         wallClock: { 1_700_000_000 })
    }
}
