/// A short plain-text answer made per request (the report route's: stored, or why not), unlike the canned
/// answers rendered once. The text never echoes the request.
public struct PlainAnswer: Equatable, Sendable {
    public var status: HTTPStatus
    /// One line: what happened ("stored", "bad gzip: ...").
    public var text: String
    /// The `Allow` value of a 405.
    public var allow: String?

    public init(_ status: HTTPStatus, _ text: String, allow: String? = nil) {
        self.status = status
        self.text = text
        self.allow = allow
    }

    var body: [UInt8] { Array("\(status.rawValue) \(status.reason): \(text)\n".utf8) }

    /// The HTTP/1.1 status line and fields, up to (not including) Date.
    func head(bodyCount: Int) -> [UInt8] {
        var head = "HTTP/1.1 \(status.rawValue) \(status.reason)\r\nContent-Type: \(PolicyResponse.contentType)\r\n"
            + "Content-Length: \(bodyCount)\r\nCache-Control: no-store\r\n"
        if let allow { head += "Allow: \(allow)\r\n" }
        return Array(head.utf8)
    }
}

/// A report upload whose body has arrived whole: what the exchange hands on to be stored, and how the answer
/// finds its request again (`stream`: the HTTP/2 stream id, 0 on HTTP/1.1).
public struct ReportUpload: Sendable {
    public let stream: Int32
    /// The policy host the report was sent to (SNI, else Host).
    public let host: String
    public let contentType: String?
    public let body: [UInt8]

    public init(stream: Int32, host: String, contentType: String?, body: [UInt8]) {
        self.stream = stream
        self.host = host
        self.contentType = contentType
        self.body = body
    }
}
