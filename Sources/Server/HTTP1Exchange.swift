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
    /// A report upload being read (its head answered by `.receiveReport`), then handed on until its answer comes.
    private var upload: ReportBody?

    init() {}

    var isMidRequest: Bool { !pendingInput.isEmpty || upload != nil }
    /// A report was handed on: read nothing more until `complete` answers it.
    var isAwaitingAnswer: Bool { upload?.isComplete == true }

    func receive(_ bytes: UnsafeRawBufferPointer, context: ExchangeContext, output: inout [UInt8],
                 events: inout ExchangeEvents) {
        guard !isFinished, !isAwaitingAnswer else { return }
        if upload != nil {
            // A body is read straight from the input; what follows it is not (the connection closes after a report).
            readBody(bytes, events: &events)
        } else if pendingInput.isEmpty {
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

    /// The answer to the report handed on: the connection closes after it (one report per connection is what
    /// senders do, and it keeps a connection's state to one upload).
    func complete(with answer: PlainAnswer, context: ExchangeContext, output: inout [UInt8], events: inout ExchangeEvents) {
        guard let upload, upload.isComplete else { return }
        self.upload = nil
        respond(.plain(answer), head: upload.head, close: true, context: context, output: &output, events: &events)
    }

    func timedOut(context: ExchangeContext, output: inout [UInt8], events: inout ExchangeEvents) {
        // A head or body that arrives too slowly (slowloris) gets a 408; an idle connection just closes. A report
        // being stored still is stored, and a retry finds it there.
        if !pendingInput.isEmpty || upload != nil {
            upload = nil
            HTTP1ResponseWriter.appendError(.requestTimeout, date: context.date, to: &output)
            events.answered.append(.init(status: HTTPStatus.requestTimeout.rawValue, head: nil))
            pendingInput = []
        }
        isFinished = true
    }

    func drain() {
        // The request in progress, if any, is answered with Connection: close (see answer); a report being read
        // or stored is answered first (its answer always closes).
        if pendingInput.isEmpty, upload == nil { isFinished = true }
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
                if upload != nil {
                    readBody(UnsafeRawBufferPointer(rebasing: bytes[offset...]), events: &events)
                    return bytes.count
                }
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
        if case .receiveReport(let host) = decision.answer {
            switch ReportBody.start(head, host: host, limit: context.maxReportBytes) {
            case .read(let body): upload = body
            case .refuse(let answer):
                respond(.plain(answer), head: head, close: true, context: context, output: &output, events: &events)
            }
            return
        }
        requestsServed += 1
        if requestsServed >= context.maxRequests || context.isDraining { decision.close = true }
        HTTP1ResponseWriter.append(decision, version: head.version, date: context.date, to: &output)
        isFinished = decision.close
        events.answered.append(.init(status: decision.status, head: head))
    }
}

extension HTTP1Exchange {
    private func readBody(_ bytes: UnsafeRawBufferPointer, events: inout ExchangeEvents) {
        guard let body = upload, !body.isComplete else { return }
        body.append(bytes)
        if body.isComplete { events.uploads.append(body.finished(stream: 0)) }
    }

    private func respond(_ answer: PolicyResponder.Answer, head: HTTPRequestHead, close: Bool, context: ExchangeContext,
                         output: inout [UInt8], events: inout ExchangeEvents) {
        let decision = PolicyResponder.Decision(answer: answer, close: close, omitBody: false)
        requestsServed += 1
        HTTP1ResponseWriter.append(decision, version: head.version, date: context.date, to: &output)
        isFinished = close
        events.answered.append(.init(status: decision.status, head: head))
    }
}

extension PolicyResponder.Decision {
    var status: Int {
        switch answer {
        case .policy(_, let notModified): notModified ? 304 : 200
        case .status(let status): status.rawValue
        case .plain(let answer): answer.status.rawValue
        case .receiveReport: 0
        }
    }
}
