import HTTP

/// The application protocol spoken over a connection's decrypted bytes (HTTP/1.1 or HTTP/2, chosen by ALPN).
/// It never touches the socket: bytes in, bytes out, events out (`ExchangeEvents`), and a few facts the
/// connection's timeouts depend on. An enum, not a protocol: it fits in one word of the connection, and each call
/// is a switch rather than a witness-table call.
enum ProtocolExchange {
    case http1(HTTP1Exchange)
    case http2(HTTP2Exchange)

    /// Consumes decrypted input, appending any responses that are ready.
    func receive(_ bytes: UnsafeRawBufferPointer, context: ExchangeContext, output: inout [UInt8],
                 events: inout ExchangeEvents) {
        switch self {
        case .http1(let exchange): exchange.receive(bytes, context: context, output: &output, events: &events)
        case .http2(let exchange): exchange.receive(bytes, context: context, output: &output, events: &events)
        }
    }

    /// Appends output that became ready without new input (HTTP/2 frames once the socket drained).
    func produce(output: inout [UInt8], events: inout ExchangeEvents) {
        switch self {
        case .http1: break
        case .http2(let exchange): exchange.produce(output: &output, events: &events)
        }
    }

    /// Close once the output is flushed (Connection: close, a malformed request, GOAWAY completed).
    var isFinished: Bool {
        switch self {
        case .http1(let exchange): exchange.isFinished
        case .http2(let exchange): exchange.isFinished
        }
    }

    /// An HTTP/1.1 report upload was handed on: read nothing until its answer (`complete`). HTTP/2 goes on reading
    /// (other streams, flow control) while a stream waits.
    var isAwaitingAnswer: Bool {
        switch self {
        case .http1(let exchange): exchange.isAwaitingAnswer
        case .http2: false
        }
    }

    /// The answer to an upload handed on (`ExchangeEvents.uploads`).
    func complete(stream: Int32, with answer: PlainAnswer, context: ExchangeContext, output: inout [UInt8],
                  events: inout ExchangeEvents) {
        switch self {
        case .http1(let exchange): exchange.complete(with: answer, context: context, output: &output, events: &events)
        case .http2(let exchange): exchange.complete(stream: stream, with: answer, output: &output, events: &events)
        }
    }

    /// A request is partly received: the request-head timeout applies instead of the idle timeout.
    var isMidRequest: Bool {
        switch self {
        case .http1(let exchange): exchange.isMidRequest
        case .http2(let exchange): exchange.isMidRequest
        }
    }

    /// Finished after answering a request read whole, with no input after it: the connection may close without
    /// lingering, as nginx does, since the client has nothing more to send that would make the kernel reset it.
    var endedAfterWholeInput: Bool {
        switch self {
        case .http1(let exchange): exchange.endedAfterWholeInput
        // A client may still be sending frames (WINDOW_UPDATE, its own GOAWAY) when the session ends.
        case .http2: false
        }
    }

    /// The current timeout ran out: append any last words (408, GOAWAY). The connection then closes.
    func timedOut(context: ExchangeContext, output: inout [UInt8], events: inout ExchangeEvents) {
        switch self {
        case .http1(let exchange): exchange.timedOut(context: context, output: &output, events: &events)
        case .http2(let exchange): exchange.timedOut(output: &output, events: &events)
        }
    }

    /// Graceful stop: finish what is in flight, accept nothing new.
    func drain(output: inout [UInt8], events: inout ExchangeEvents) {
        switch self {
        case .http1(let exchange): exchange.drain()
        case .http2(let exchange): exchange.drain(output: &output, events: &events)
        }
    }
}
