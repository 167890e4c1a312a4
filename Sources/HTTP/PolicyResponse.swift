/// One host's answer, rendered when policies load so a request costs a lookup and a write.
public struct PolicyResponse: Sendable {
    /// The canonical policy body (CRLF lines).
    public let body: [UInt8]
    /// `"<policy id>"`: changes exactly when the body does.
    public let etag: String
    /// HTTP/1.1 status line and fixed headers of the 200, up to (not including) Date.
    let okHead: [UInt8]
    /// The same for 304 Not Modified.
    let notModifiedHead: [UInt8]

    public init(policyID: String, body: [UInt8]) {
        self.body = body
        self.etag = "\"\(policyID)\""
        okHead = Array(("HTTP/1.1 200 OK\r\n"
            + "Content-Type: \(Self.contentType)\r\n"
            + "Content-Length: \(body.count)\r\n"
            + "Cache-Control: no-cache\r\n"
            + "ETag: \(etag)\r\n").utf8)
        notModifiedHead = Array(("HTTP/1.1 304 Not Modified\r\n"
            + "Cache-Control: no-cache\r\n"
            + "ETag: \(etag)\r\n").utf8)
    }

    public static let contentType = "text/plain; charset=utf-8"

    /// Whether an If-None-Match value names this response's entity tag (weak comparison, `*` included).
    public func matches(ifNoneMatch value: String) -> Bool {
        value.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingSpaces()
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }
}
