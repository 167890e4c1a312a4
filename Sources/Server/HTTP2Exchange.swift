import HTTP

/// HTTP/2 over one connection, through nghttp2. Each call takes its context (`ExchangeContext`) and reports the
/// requests answered, and why the session failed if it did, in `events`.
final class HTTP2Exchange {
    /// What the session's callbacks need while a call runs: its context, and the caller's events.
    private struct Call {
        let context: ExchangeContext
        var events: ExchangeEvents
    }

    /// Created once `self` can be captured: the session answers a request from inside `receive`.
    private var session: HTTP2Session!
    /// During `receive` only: the call on the caller's stack (a pointer, so that an idle exchange stays in a 48-byte
    /// heap block, as small as before it took a context).
    private var call: UnsafeMutablePointer<Call>?
    private var failed = false

    init(settings: HTTP2Settings) {
        // Unowned: the exchange owns the session, so it outlives the session's callbacks.
        session = HTTP2Session(settings: settings, respond: { [unowned(unsafe) self] head in
            self.answer(head)
        }, upload: { [unowned(unsafe) self] upload in
            self.call?.pointee.events.uploads.append(upload)
        }, date: { [unowned(unsafe) self] in self.call?.pointee.context.date ?? [] },
           milliseconds: MonotonicClock.coarseMilliseconds)
    }

    var isFinished: Bool { failed || session.isFinished }
    var isMidRequest: Bool { session.hasActiveStreams }

    func receive(_ bytes: UnsafeRawBufferPointer, context: ExchangeContext, output: inout [UInt8],
                 events: inout ExchangeEvents) {
        guard !failed else { return }
        // The caller's events are moved in for the call and back out after it: nothing is copied or allocated.
        var call = Call(context: context, events: ExchangeEvents())
        swap(&call.events, &events)
        let received = withUnsafeMutablePointer(to: &call) { pointer in
            self.call = pointer
            defer { self.call = nil }
            return session.receive(bytes)
        }
        swap(&call.events, &events)
        // On failure nghttp2 has usually queued a GOAWAY: still send it.
        if !received { fail(&events) }
        produce(output: &output, events: &events)
    }

    func produce(output: inout [UInt8], events: inout ExchangeEvents) {
        if !session.produce(into: &output) { fail(&events) }
    }

    /// The answer to a report stream handed on; its frames go out with the next flush.
    func complete(stream: Int32, with answer: PlainAnswer, output: inout [UInt8], events: inout ExchangeEvents) {
        guard !failed else { return }
        session.complete(stream: stream, with: answer)
        events.answered.append(.init(status: answer.status.rawValue, head: Self.reportHead))
        produce(output: &output, events: &events)
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

    private static let unknownHosts = PolicyResponder { _ in nil }
    /// What the log and metrics say of a report stream's answer (its head was not kept while it was stored).
    private static let reportHead = HTTPRequestHead(method: .other("POST"), path: PolicyResponder.reportPath, version: .http2)

    private func answer(_ head: HTTPRequestHead) -> PolicyResponder.Decision {
        // The session answers only from inside `receive`, where the call is set.
        guard let call else { return Self.unknownHosts.decide(head, serverName: nil) }
        let decision = call.pointee.context.decide(head)
        // A report is counted when it is answered (`complete`).
        if !decision.answer.isReceivingReport {
            call.pointee.events.answered.append(.init(status: decision.status, head: head))
        }
        return decision
    }

    /// Why nghttp2 or our limits ended the session, reported once.
    private func fail(_ events: inout ExchangeEvents) {
        guard !failed else { return }
        failed = true
        events.failure = session.failure ?? "HTTP/2 session failed"
    }
}
