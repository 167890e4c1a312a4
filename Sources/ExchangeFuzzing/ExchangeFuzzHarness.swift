import Catalog
import MTASTS
import Server
import TLS

/// The protocol exchanges after the handshake, without a socket or TLS: decrypted bytes in, bytes out.
///
/// For the fuzzers in `Fuzz/` (a test-support target: the exchanges are internal to `Server`, reached through its
/// package-access `ExchangeDriver`). A fixed catalog serves `example.com` and `example.net`; the Date header is
/// fixed; nothing is counted or logged. Call it the way a connection does: `produce` once after the handshake,
/// then `receive` each chunk and `produce` until nothing more comes.
public final class ExchangeFuzzHarness {
    public enum ApplicationProtocol: Sendable { case http1, http2 }

    /// The domains the fixed catalog serves, as `mta-sts.<domain>`.
    public static let domains = ["example.com", "example.net"]

    private let driver: ExchangeDriver
    /// Requests answered so far (any status), 408s and 400s for malformed heads included.
    public var requestsAnswered: Int { driver.requestsAnswered }

    /// - Parameters:
    ///   - serverName: the SNI the client sent; nil routes by Host or :authority, as a connection without SNI does.
    ///   - maxRequests: requests (HTTP/1.1) or streams (HTTP/2) one connection may carry.
    public init(protocol applicationProtocol: ApplicationProtocol, serverName: String?, maxRequests: Int = 100) {
        driver = ExchangeDriver(protocol: applicationProtocol == .http1 ? .http1 : .http2,
                                responder: Self.catalog.responder, serverName: serverName, maxRequests: maxRequests,
                                date: Self.date)
    }

    public var isFinished: Bool { driver.isFinished }
    public var isMidRequest: Bool { driver.isMidRequest }

    public func receive(_ bytes: UnsafeRawBufferPointer, output: inout [UInt8]) {
        driver.receive(bytes, output: &output)
    }

    public func produce(output: inout [UInt8]) {
        driver.produce(output: &output)
    }

    public func timedOut(output: inout [UInt8]) {
        driver.timedOut(output: &output)
    }

    /// Graceful stop, as on SIGTERM: later HTTP/1.1 responses carry Connection: close.
    public func drain(output: inout [UInt8]) {
        driver.drain(output: &output)
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
