import FoundationEssentials
import HTTPSFetch
import Synchronization
import TLS

/// An RFC 8555 client for one ACME directory and one account key. Blocking: every call waits for the CA (an order
/// takes seconds to minutes), so the caller runs it off the event loops. Orders for several names may run on
/// several threads at once; their requests take turns on the one connection.
public final class ACMEClient: @unchecked Sendable {
    /// RFC 8555 §6.5: a badNonce answer carries a fresh nonce; retry with it, but not forever.
    static let badNonceAttempts = 10

    let directoryURL: String
    let accountKey: ACMESigningKey
    let contact: String?
    let clock: ACMEClock
    let transport: HTTPTransport
    /// Held only while one request is on the wire (libcurl's easy handle serves one transfer at a time).
    let wire = Mutex(())
    let state = Mutex(State())

    struct State {
        var directory: ACMEDirectory?
        var accountURL: String?
        /// Replay-Nonce values from earlier answers; each is used once.
        var nonces: [String] = []
        var badNonceRetries = 0
    }

    /// How often a badNonce answer was retried, since this client was made (a CA rejects some nonces on purpose).
    public var badNonceRetries: Int { state.withLock { $0.badNonceRetries } }

    /// `trustBundlePath`: PEM certificates trusted in addition to the system's, for reaching the directory.
    public convenience init(directoryURL: String, accountKey: ACMESigningKey, contact: String?,
                            trustBundlePath: String?) throws {
        let client = try HTTPSClient(configuration: .init(trust: trustBundlePath.map { .systemAnd($0) } ?? .system,
                                                          userAgent: "mta-sts-host-acme/1"))
        self.init(directoryURL: directoryURL, accountKey: accountKey, contact: contact, transport: client, clock: .system)
    }

    init(directoryURL: String, accountKey: ACMESigningKey, contact: String?, transport: HTTPTransport,
         clock: ACMEClock) {
        self.directoryURL = directoryURL
        self.accountKey = accountKey
        self.contact = contact
        self.transport = transport
        self.clock = clock
    }

    /// Registers the account key with `termsOfServiceAgreed: true`, or finds the account it already has (the CA
    /// answers newAccount for a known key with that account, RFC 8555 §7.3.1), and returns its URL, the `kid` of
    /// every later request. Always asks the CA, even with `existingURL`: one request per start, and a CA that lost
    /// the account (a restarted pebble, a deactivated account) is noticed here rather than in the middle of an order.
    /// The URL returned is the one to store; it differs from `existingURL` only when the CA says so.
    public func account(existingURL: String?) throws -> String {
        var payload: [String: JSONField] = ["termsOfServiceAgreed": .bool(true)]
        if let contact {
            payload["contact"] = .strings([contact.hasPrefix("mailto:") ? contact : "mailto:" + contact])
        }
        let response = try post(try directory().newAccount, payload: try JWS.encoder.encode(payload), useJWK: true)
        guard let location = response.headers["Location"] else {
            throw ACMEError("newAccount", "the CA sent no Location header (HTTP \(response.status))")
        }
        let account: ACMEAccount = try decode(response, "newAccount")
        guard account.status == "valid" else {
            throw ACMEError("newAccount", "account \(location) is \(account.status)")
        }
        state.withLock { $0.accountURL = location }
        return location
    }

    /// The directory, fetched once (RFC 8555 §7.1.1).
    func directory() throws -> ACMEDirectory {
        if let known = state.withLock({ $0.directory }) { return known }
        let response = try send(HTTPRequest(method: .get, url: directoryURL))
        guard response.status == 200 else {
            throw ACMEError("GET \(directoryURL)", "HTTP \(response.status): not an ACME directory")
        }
        let directory: ACMEDirectory = try decode(response, "the directory \(directoryURL)")
        state.withLock { $0.directory = directory }
        return directory
    }

    func decode<T: Decodable>(_ response: HTTPResponse, _ what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            throw ACMEError("reading \(what)", "not the JSON ACME defines: \(error)")
        }
    }
}

/// The two kinds of value newAccount's payload holds.
enum JSONField: Encodable {
    case bool(Bool)
    case strings([String])

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .bool(let value): try container.encode(value)
        case .strings(let value): try container.encode(value)
        }
    }
}
