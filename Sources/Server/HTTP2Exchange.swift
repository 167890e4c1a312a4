import HTTP

/// HTTP/2 over one connection, through nghttp2. Each call takes its context (`ExchangeContext`) and reports the
/// requests answered, and why the session failed if it did, in `events`.
final class HTTP2Exchange {
    /// Created once `self` can be captured: the session answers a request from inside `receive`.
    private var session: HTTP2Session!
    /// During a call only: the caller's context and events (swapped in and out, so nothing is copied or allocated).
    private var context: ExchangeContext?
    private var events = ExchangeEvents()
    private var failed = false

    init(settings: HTTP2Settings) {
        // Unowned: the exchange owns the session, so it outlives the session's callbacks.
        session = HTTP2Session(settings: settings, respond: { [unowned(unsafe) self] head in
            self.answer(head)
        }, date: { [unowned(unsafe) self] in self.context?.date ?? [] }, milliseconds: MonotonicClock.coarseMilliseconds)
    }

    var isFinished: Bool { failed || session.isFinished }
    var isMidRequest: Bool { session.hasActiveStreams }

    func receive(_ bytes: UnsafeRawBufferPointer, context: ExchangeContext, output: inout [UInt8],
                 events: inout ExchangeEvents) {
        guard !failed else { return }
        self.context = context
        swap(&self.events, &events)
        // On failure nghttp2 has usually queued a GOAWAY: still send it.
        if !session.receive(bytes) { fail() }
        self.context = nil
        swap(&self.events, &events)
        produce(output: &output, events: &events)
    }

    func produce(output: inout [UInt8], events: inout ExchangeEvents) {
        if !session.produce(into: &output) {
            swap(&self.events, &events)
            fail()
            swap(&self.events, &events)
        }
    }

    func timedOut(output: inout [UInt8], events: inout ExchangeEvents) {
        session.goAway()
        produce(output: &output, events: &events)
        failed = true
    }

    func drain(output: inout [UInt8], events: inout ExchangeEvents) {
        session.goAway()
        produce(output: &output, events: &events)
    }

    private func answer(_ head: HTTPRequestHead) -> PolicyResponder.Decision {
        // The session answers only from inside `receive`, where the context is set.
        guard let context else { return Self.unknownHosts.decide(head, serverName: nil) }
        let decision = context.decide(head)
        events.answered.append(.init(status: decision.status, head: head))
        return decision
    }

    private static let unknownHosts = PolicyResponder { _ in nil }

    /// Why nghttp2 or our limits ended the session, reported once.
    private func fail() {
        guard !failed else { return }
        failed = true
        events.failure = session.failure ?? "HTTP/2 session failed"
    }
}
