import Glibc
import HTTPSFetch
import MTASTS
import Reactor
import TLS

/// Fetches a domain's policy as a strict sender does (libcurl: SNI, the chain and the name verified, TLS 1.2 or
/// later, no redirect followed, 64 KiB at most, the 4-second budget), at the addresses our resolver gave; then
/// shakes hands once more with the first address to read the certificate's dates.
struct PolicyHostFetcher {
    let settings: VerifySettings
    let context: TLSClientContext

    func fetch(host: String, addresses: [String]) -> (PolicyFetchOutcome, TLSPeer?) {
        let port = settings.httpsPort
        let budget = min(settings.timeoutSeconds, VerifySettings.policyFetchBudgetSeconds) * 1000
        let pinned = addresses.map { $0.contains(":") ? "[\($0)]" : $0 }.joined(separator: ",")
        let configuration = HTTPSClient.Configuration(
            trust: settings.trustFile.map { .only($0) } ?? .system, connectTimeoutMilliseconds: budget,
            totalTimeoutMilliseconds: budget, maximumBodyBytes: PolicyFetchCheck.maximumBodyBytes,
            userAgent: "mta-sts-host-verify/1", requiresTLS12: true, pinnedAddresses: ["\(host):\(port):\(pinned)"])
        let response: HTTPResponse
        do {
            let client = try HTTPSClient(configuration: configuration)
            response = try client.send(HTTPRequest(method: .get, url: Self.url(host: host, port: port)))
        } catch let error as HTTPSClientError {
            return (.failed(error.reason), nil)
        } catch {
            return (.failed("\(error)"), nil)
        }
        let outcome = PolicyFetchOutcome.response(status: response.status, contentType: response.headers["content-type"],
                                                  location: response.headers["location"], body: response.body)
        guard response.status == 200, let first = addresses.first.flatMap({ SocketAddress(host: $0, port: port) })
        else { return (outcome, nil) }
        return (outcome, certificate(host: host, address: first))
    }

    /// The policy URL; the port only when it is not 443 (tests).
    static func url(host: String, port: UInt16) -> String {
        "https://\(host)\(port == 443 ? "" : ":\(port)")/.well-known/mta-sts.txt"
    }

    private func certificate(host: String, address: SocketAddress) -> TLSPeer? {
        let deadline = ContinuousClock.now + settings.timeout
        guard case .success(let socket) = Socket.connect(to: address, deadline: deadline) else { return nil }
        defer { socket.close() }
        guard let session = try? TLSClientSession(context: context, fileDescriptor: socket.descriptor, serverName: host),
              case .success(let peer) = TLSHandshakeDriver.run(session, on: socket, until: deadline)
        else { return nil }
        session.shutdown()
        return peer
    }
}
