import HTTP

/// HTTP/1.1 over one connection: requests parsed in place from the read buffer, answered in order (pipelining),
/// with only an incomplete head ever copied. Each call takes its context (`ExchangeContext`) and reports the
/// requests it answered in `events`.
final class HTTP1Exchange {
    private var pendingInput: [UInt8] = []
    private var scannedInput = 0
    private var requestsServed = 0
    private(set) var isFinished = false
    private(set) var endedAfterWholeInput = false

    init() {}

    var isMidRequest: Bool { !pendingInput.isEmpty }

    func receive(_ bytes: UnsafeRawBufferPointer, context: ExchangeContext, output: inout [UInt8],
                 events: inout ExchangeEvents) {
        guard !isFinished else { return }
        if pendingInput.isEmpty {
            let used = answerRequests(in: bytes, context: context, output: &output, events: &events)
            if used < bytes.count, !isFinished { pendingInput = Array(bytes[used...]) }
        } else {
            pendingInput.append(contentsOf: bytes)
            let used = pendingInput.withUnsafeBytes {
                answerRequests(in: $0, context: context, output: &output, events: &events)
            }
            pendingInput.removeFirst(min(used, pendingInput.count))
        }
        if pendingInput.isEmpty { scannedInput = 0 }
    }

    func timedOut(context: ExchangeContext, output: inout [UInt8], events: inout ExchangeEvents) {
        // A head that arrives too slowly (slowloris) gets a 408; an idle connection just closes.
        if !pendingInput.isEmpty {
            HTTP1ResponseWriter.appendError(.requestTimeout, date: context.date, to: &output)
            events.answered.append(.init(status: HTTPStatus.requestTimeout.rawValue, head: nil))
            pendingInput = []
        }
        isFinished = true
    }

    func drain() {
        // The request in progress, if any, is answered with Connection: close (see answer).
        if pendingInput.isEmpty { isFinished = true }
    }

    /// Answers every complete request in `bytes`; returns how many bytes were used.
    private func answerRequests(in bytes: UnsafeRawBufferPointer, context: ExchangeContext, output: inout [UInt8],
                                events: inout ExchangeEvents) -> Int {
        var offset = 0
        while offset < bytes.count, !isFinished {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            switch HTTP1RequestParser.parse(rest, scannedBefore: offset == 0 ? scannedInput : 0) {
            case .incomplete(let scanned):
                scannedInput = scanned
                return offset
            case .request(let head, let consumed):
                answer(head, context: context, output: &output, events: &events)
                offset += consumed
                endedAfterWholeInput = isFinished && offset == bytes.count
            case .invalid(let status):
                HTTP1ResponseWriter.appendError(status, date: context.date, to: &output)
                events.answered.append(.init(status: status.rawValue, head: nil))
                isFinished = true
            }
        }
        // Once finished, the rest of the input is ignored.
        return isFinished ? bytes.count : offset
    }

    private func answer(_ head: HTTPRequestHead, context: ExchangeContext, output: inout [UInt8],
                        events: inout ExchangeEvents) {
        var decision = context.decide(head)
        requestsServed += 1
        if requestsServed >= context.maxRequests || context.isDraining { decision.close = true }
        HTTP1ResponseWriter.append(decision, version: head.version, date: context.date, to: &output)
        isFinished = decision.close
        events.answered.append(.init(status: decision.status, head: head))
    }
}

extension PolicyResponder.Decision {
    var status: Int {
        switch answer {
        case .policy(_, let notModified): notModified ? 304 : 200
        case .status(let status): status.rawValue
        }
    }
}
