import HTTP

/// An HTTP/1.1 report upload's body, read as it arrives: refused from its head alone when it could not fit (so a
/// 100 MB body costs nothing but its head), then collected to the announced length. A class: the exchange holds
/// it by one optional pointer, so an idle exchange stays in its 64-byte heap block.
final class ReportBody {
    enum Start {
        case read(ReportBody)
        case refuse(PlainAnswer)
    }

    let head: HTTPRequestHead
    let host: String
    private let expected: Int
    private var bytes: [UInt8] = []

    /// The whole body has arrived (it stays complete once handed on).
    private(set) var isComplete = false

    static func start(_ head: HTTPRequestHead, host: String, limit: Int) -> Start {
        // Chunked bodies would need a second parser for one sender in a thousand: RFC 9110 lets us ask for a length.
        if head.isChunked { return .refuse(PlainAnswer(.lengthRequired, "send the report with a Content-Length")) }
        guard let length = head.contentLength else {
            return .refuse(PlainAnswer(.lengthRequired, "send the report with a Content-Length"))
        }
        guard length > 0 else { return .refuse(PlainAnswer(.badRequest, "empty report")) }
        guard length <= limit else {
            return .refuse(PlainAnswer(.contentTooLarge, "the report is larger than \(limit) bytes"))
        }
        // Not reserved up front: a head alone must not cost the length it announces.
        return .read(ReportBody(head: head, host: host, expected: length))
    }

    private init(head: HTTPRequestHead, host: String, expected: Int) {
        self.head = head
        self.host = host
        self.expected = expected
    }

    /// Takes what belongs to the body; anything after it is dropped (the connection closes after the answer).
    func append(_ input: UnsafeRawBufferPointer) {
        let count = min(input.count, expected - bytes.count)
        bytes.append(contentsOf: input.prefix(count))
        isComplete = bytes.count == expected
    }

    /// The upload to hand on; the bytes move out (the body keeps only its head while it waits).
    func finished(stream: Int32) -> ReportUpload {
        let upload = ReportUpload(stream: stream, host: host, contentType: head.contentType, body: bytes)
        bytes = []
        return upload
    }
}
