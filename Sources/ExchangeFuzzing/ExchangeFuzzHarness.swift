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
    private let record: Record
    /// Requests answered so far (any status), 408s and 400s for malformed heads included.
    public var requestsAnswered: Int { record.answered }

    /// - Parameters:
    ///   - serverName: the SNI the client sent; nil routes by Host or :authority, as a connection without SNI does.
    ///   - maxRequests: requests (HTTP/1.1) or streams (HTTP/2) one connection may carry.
    public init(protocol applicationProtocol: ApplicationProtocol, serverName: String?, maxRequests: Int = 100) {
        let record = Record(catalog: Self.catalog, serverName: serverName, maxRequests: maxRequests)
        self.record = record
        switch applicationProtocol {
        case .http1:
            exchange = HTTP1Exchange(context: record)
        case .http2:
            var settings = HTTP2Settings()
            settings.maxStreamsPerConnection = maxRequests
            exchange = HTTP2Exchange(context: record, settings: settings)
        }
    }

    public var isFinished: Bool { exchange.isFinished }
    public var isMidRequest: Bool { exchange.isMidRequest }

    public func receive(_ bytes: UnsafeRawBufferPointer, output: inout [UInt8]) {
        exchange.receive(bytes, output: &output)
    }

    public func produce(output: inout [UInt8]) {
        exchange.produce(output: &output)
    }

    public func timedOut(output: inout [UInt8]) {
        exchange.timedOut(output: &output)
    }

    /// Graceful stop, as on SIGTERM: later HTTP/1.1 responses carry Connection: close.
    public func drain(output: inout [UInt8]) {
        record.draining = true
        exchange.drain(output: &output)
    }

    fileprivate static let date = Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)

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

/// The exchange's context: the fixed catalog, and what it counts. Kept alive by the harness (the exchange
/// holds it unowned, as it holds its connection).
private final class Record: ExchangeContext {
    let catalog: Catalog
    let serverName: String?
    let maxRequests: Int
    var answered = 0
    var draining = false

    init(catalog: Catalog, serverName: String?, maxRequests: Int) {
        self.catalog = catalog
        self.serverName = serverName
        self.maxRequests = maxRequests
    }

    func decide(_ request: HTTPRequestHead) -> PolicyResponder.Decision {
        catalog.responder.decide(request, serverName: serverName, defaultHost: nil)
    }

    func answered(_ status: Int, _ request: HTTPRequestHead?) { answered += 1 }
    var date: [UInt8] { ExchangeFuzzHarness.date }
    var isDraining: Bool { draining }
}
