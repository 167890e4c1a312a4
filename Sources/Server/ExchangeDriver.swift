import HTTP

/// A protocol exchange without a connection: decrypted bytes in, bytes out, nothing counted or logged. Package
/// access only, for the fuzz harness (the `ExchangeFuzzing` target); a connection drives the exchanges itself.
package final class ExchangeDriver {
    package enum ApplicationProtocol: Sendable { case http1, http2 }

    private let exchange: ProtocolExchange
    private let context: DriverContext

    /// - Parameters:
    ///   - maxRequests: requests (HTTP/1.1) or streams (HTTP/2) one connection may carry.
    ///   - date: the Date header value.
    ///   - decide: routes a request, as a connection does with its catalog and SNI.
    package init(protocol applicationProtocol: ApplicationProtocol, maxRequests: Int, date: [UInt8],
                 decide: @escaping (HTTPRequestHead) -> PolicyResponder.Decision) {
        let context = DriverContext(maxRequests: maxRequests, date: date, decide: decide)
        self.context = context
        switch applicationProtocol {
        case .http1:
            exchange = HTTP1Exchange(context: context)
        case .http2:
            var settings = HTTP2Settings()
            settings.maxStreamsPerConnection = maxRequests
            exchange = HTTP2Exchange(context: context, settings: settings)
        }
    }

    /// Requests answered so far (any status), 408s and 400s for malformed heads included.
    package var requestsAnswered: Int { context.answered }
    package var isFinished: Bool { exchange.isFinished }
    package var isMidRequest: Bool { exchange.isMidRequest }

    package func receive(_ bytes: UnsafeRawBufferPointer, output: inout [UInt8]) {
        exchange.receive(bytes, output: &output)
    }

    package func produce(output: inout [UInt8]) {
        exchange.produce(output: &output)
    }

    package func timedOut(output: inout [UInt8]) {
        exchange.timedOut(output: &output)
    }

    /// Graceful stop, as on SIGTERM: later HTTP/1.1 responses carry Connection: close.
    package func drain(output: inout [UInt8]) {
        context.draining = true
        exchange.drain(output: &output)
    }
}

/// The exchange's context. Kept alive by the driver (the exchange holds it unowned, as it holds its connection).
private final class DriverContext: ExchangeContext {
    let maxRequests: Int
    let date: [UInt8]
    let route: (HTTPRequestHead) -> PolicyResponder.Decision
    var answered = 0
    var draining = false

    init(maxRequests: Int, date: [UInt8], decide: @escaping (HTTPRequestHead) -> PolicyResponder.Decision) {
        self.maxRequests = maxRequests
        self.date = date
        self.route = decide
    }

    func decide(_ request: HTTPRequestHead) -> PolicyResponder.Decision { route(request) }
    func answered(_ status: Int, _ request: HTTPRequestHead?) { answered += 1 }
    var isDraining: Bool { draining }
}
