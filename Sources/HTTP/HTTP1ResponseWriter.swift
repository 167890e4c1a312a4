/// Appends complete HTTP/1.1 responses to an output buffer; all fixed parts were rendered at load time.
public enum HTTP1ResponseWriter {
    public static func append(_ decision: PolicyResponder.Decision, version: HTTPRequestHead.Version,
                              date: [UInt8], to output: inout [UInt8]) {
        let head: [UInt8], body: [UInt8]
        switch decision.answer {
        case .policy(let response, let notModified):
            head = notModified ? response.notModifiedHead : response.okHead
            body = notModified || decision.omitBody ? [] : response.body
        case .status(let status):
            let canned = CannedResponse.for(status)
            head = canned.head
            body = decision.omitBody ? [] : canned.body
        case .plain(let answer):
            let text = answer.body
            head = answer.head(bodyCount: text.count)
            body = decision.omitBody ? [] : text
        case .receiveReport:
            // The exchange reads the body instead of answering: reaching here is a bug, not a client's fault.
            let canned = CannedResponse.for(.internalServerError)
            head = canned.head
            body = canned.body
        }
        // One allocation for a lone response, not one per part appended (pipelined ones grow the buffer as usual:
        // reserving for each would copy it each time).
        if output.isEmpty {
            output.reserveCapacity(head.count + datePrefix.count + date.count + longestTail + body.count)
        }
        output += head
        finishHead(date: date, close: decision.close, version: version, to: &output)
        output += body
    }

    /// A response to a head that could not be parsed: always closes.
    public static func appendError(_ status: HTTPStatus, date: [UInt8], to output: inout [UInt8]) {
        let decision = PolicyResponder.Decision(answer: .status(status), close: true, omitBody: false)
        append(decision, version: .http11, date: date, to: &output)
    }

    private static func finishHead(date: [UInt8], close: Bool, version: HTTPRequestHead.Version, to output: inout [UInt8]) {
        output += datePrefix
        output += date
        if close {
            output += closeTail
        } else if version == .http10 {
            output += keepAliveTail
        } else {
            output += plainTail
        }
    }

    private static let datePrefix = Array("Date: ".utf8)
    private static let closeTail = Array("\r\nConnection: close\r\n\r\n".utf8)
    private static let keepAliveTail = Array("\r\nConnection: keep-alive\r\n\r\n".utf8)
    private static let plainTail = Array("\r\n\r\n".utf8)
    private static let longestTail = max(closeTail.count, keepAliveTail.count, plainTail.count)
}

/// Short plain-text answers for every non-200 status; they never echo the request.
struct CannedResponse {
    let head: [UInt8]
    let body: [UInt8]

    static func `for`(_ status: HTTPStatus) -> CannedResponse { table[status.rawValue]! }

    private static let table: [Int: CannedResponse] = {
        let statuses: [HTTPStatus] = [.ok, .notModified, .badRequest, .notFound, .methodNotAllowed, .requestTimeout,
                                      .uriTooLong, .misdirectedRequest, .headerFieldsTooLarge, .versionNotSupported,
                                      .forbidden, .lengthRequired, .contentTooLarge, .unsupportedMediaType,
                                      .tooManyRequests, .internalServerError, .serviceUnavailable]
        return Dictionary(uniqueKeysWithValues: statuses.map { ($0.rawValue, make($0)) })
    }()

    private static func make(_ status: HTTPStatus) -> CannedResponse {
        let body = status == .notModified ? "" : "\(status.rawValue) \(status.reason)\n"
        var head = "HTTP/1.1 \(status.rawValue) \(status.reason)\r\n"
        if status != .notModified {
            head += "Content-Type: \(PolicyResponse.contentType)\r\nContent-Length: \(body.utf8.count)\r\n"
        }
        if status == .methodNotAllowed { head += "Allow: \(PolicyResponder.allowedMethods)\r\n" }
        return CannedResponse(head: Array(head.utf8), body: Array(body.utf8))
    }
}
