import HTTP
import MTASTS
import TLS

/// The protocol exchanges after the handshake, without a socket or TLS: decrypted bytes in, bytes out.
///
/// For the fuzzers in `Fuzz/` (the exchanges themselves are internal). A fixed catalog serves `example.com` and
/// `example.net`; the Date header is fixed; nothing is counted or logged. Call it the way a connection does:
/// `produce` once after the handshake, then `receive` each chunk and `produce` until nothing more comes.
public final class ExchangeFuzzHarness {
    public enum ApplicationProtocol: Sendable { case http1, http2 }

    /// The domains the fixed catalog serves, as `mta-sts.<domain>`.
    public static let domains = ["example.com", "example.net"]

    private let exchange: ProtocolExchange
    private let serverName: String?
    private let maxRequests: Int
    private var draining = false
    private var events = ExchangeEvents()
    /// Requests answered so far (any status), 408s and 400s for malformed heads included.
    public private(set) var requestsAnswered = 0

    /// - Parameters:
    ///   - serverName: the SNI the client sent; nil routes by Host or :authority, as a connection without SNI does.
    ///   - maxRequests: requests (HTTP/1.1) or streams (HTTP/2) one connection may carry.
    public init(protocol applicationProtocol: ApplicationProtocol, serverName: String?, maxRequests: Int = 100) {
        self.serverName = serverName
        self.maxRequests = maxRequests
        switch applicationProtocol {
        case .http1:
            exchange = .http1(HTTP1Exchange())
        case .http2:
            var settings = HTTP2Settings()
            settings.maxStreamsPerConnection = maxRequests
            exchange = .http2(HTTP2Exchange(settings: settings))
        }
    }

    public var isFinished: Bool { exchange.isFinished }
    public var isMidRequest: Bool { exchange.isMidRequest }

    public func receive(_ bytes: UnsafeRawBufferPointer, output: inout [UInt8]) {
        exchange.receive(bytes, context: context, output: &output, events: &events)
        count()
    }

    public func produce(output: inout [UInt8]) {
        exchange.produce(output: &output, events: &events)
        count()
    }

    public func timedOut(output: inout [UInt8]) {
        exchange.timedOut(context: context, output: &output, events: &events)
        count()
    }

    /// Graceful stop, as on SIGTERM: later HTTP/1.1 responses carry Connection: close.
    public func drain(output: inout [UInt8]) {
        draining = true
        exchange.drain(output: &output, events: &events)
        count()
    }

    private var context: ExchangeContext {
        ExchangeContext(catalog: Self.catalog, serverName: serverName, date: Self.date, isDraining: draining,
                        maxRequests: maxRequests)
    }

    private func count() {
        requestsAnswered += events.answered.count
        events.clear()
    }

    private static let date = Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)

    private static let catalog: Catalog = {
        let policies = [
            LoadedPolicy(domain: "example.com", path: "example.com.txt",
                         policy: Policy(mode: .enforce, mx: ["mx1.example.com", "*.mx.example.net"], maxAge: 604_800)),
            LoadedPolicy(domain: "example.net", path: "example.net.txt",
                         policy: Policy(mode: .testing, mx: ["mail.example.net"], maxAge: 86_400)),
        ]
        return Catalog(policies: policies, certificates: CertificateIndex(pairs: []), defaultHost: nil)
    }()
}
