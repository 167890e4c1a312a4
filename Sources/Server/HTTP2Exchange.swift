import HTTP

/// HTTP/2 over one connection, through nghttp2.
final class HTTP2Exchange: ProtocolExchange {
    private let session: HTTP2Session
    private var failed = false

    /// `context` is the connection, which owns this exchange and so outlives the session's callbacks.
    init(context: ExchangeContext, settings: HTTP2Settings) {
        session = HTTP2Session(settings: settings, respond: { [unowned(unsafe) context] head in
            let decision = context.decide(head)
            context.answered(decision.status, head)
            return decision
        }, date: { [unowned(unsafe) context] in context.date }, milliseconds: MonotonicClock.coarseMilliseconds)
    }

    var isFinished: Bool { failed || session.isFinished }
    var isMidRequest: Bool { session.hasActiveStreams }
    /// A client may still be sending frames (WINDOW_UPDATE, its own GOAWAY) when the session ends.
    var endedAfterWholeInput: Bool { false }
    /// Why nghttp2 or our limits ended the session, if they did.
    var failure: String? { session.failure }

    func receive(_ bytes: UnsafeRawBufferPointer, output: inout [UInt8]) {
        guard !failed else { return }
        // On failure nghttp2 has usually queued a GOAWAY: still send it.
        if !session.receive(bytes) { failed = true }
        produce(output: &output)
    }

    func produce(output: inout [UInt8]) {
        if !session.produce(into: &output) { failed = true }
    }

    func timedOut(output: inout [UInt8]) {
        session.goAway()
        produce(output: &output)
        failed = true
    }

    func drain(output: inout [UInt8]) {
        session.goAway()
        produce(output: &output)
    }
}
