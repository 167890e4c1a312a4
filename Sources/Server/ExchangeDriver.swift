import HTTP

/// A protocol exchange without a connection: decrypted bytes in, bytes out, nothing counted or logged. Package
/// access only, for the fuzz harness (the `ExchangeFuzzing` target); a connection drives the exchanges itself.
package final class ExchangeDriver {
    package enum ApplicationProtocol: Sendable { case http1, http2 }

    private let exchange: ProtocolExchange
    private let responder: PolicyResponder
    private let serverName: String?
    private let maxRequests: Int
    private let date: [UInt8]
    private var draining = false
    private var events = ExchangeEvents()
    /// Requests answered so far (any status), 408s and 400s for malformed heads included.
    package private(set) var requestsAnswered = 0

    /// - Parameters:
    ///   - responder: routes requests, as a connection's catalog does.
    ///   - serverName: the SNI the client sent; nil routes by Host or :authority.
    ///   - maxRequests: requests (HTTP/1.1) or streams (HTTP/2) one connection may carry.
    ///   - date: the Date header value.
    package init(protocol applicationProtocol: ApplicationProtocol, responder: PolicyResponder, serverName: String?,
                 maxRequests: Int, date: [UInt8]) {
        self.responder = responder
        self.serverName = serverName
        self.maxRequests = maxRequests
        self.date = date
        switch applicationProtocol {
        case .http1:
            exchange = .http1(HTTP1Exchange())
        case .http2:
            var settings = HTTP2Settings()
            settings.maxStreamsPerConnection = maxRequests
            exchange = .http2(HTTP2Exchange(settings: settings))
        }
    }

    package var isFinished: Bool { exchange.isFinished }
    package var isMidRequest: Bool { exchange.isMidRequest }

    package func receive(_ bytes: UnsafeRawBufferPointer, output: inout [UInt8]) {
        exchange.receive(bytes, context: context, output: &output, events: &events)
        count()
    }

    package func produce(output: inout [UInt8]) {
        exchange.produce(output: &output, events: &events)
        count()
    }

    package func timedOut(output: inout [UInt8]) {
        exchange.timedOut(context: context, output: &output, events: &events)
        count()
    }

    /// Graceful stop, as on SIGTERM: later HTTP/1.1 responses carry Connection: close.
    package func drain(output: inout [UInt8]) {
        draining = true
        exchange.drain(output: &output, events: &events)
        count()
    }

    private var context: ExchangeContext {
        ExchangeContext(responder: responder, serverName: serverName, date: date, isDraining: draining,
                        maxRequests: maxRequests)
    }

    private func count() {
        requestsAnswered += events.answered.count
        events.clear()
    }
}
