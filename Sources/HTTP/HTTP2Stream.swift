/// One stream's request fields as they arrive, then its response body as nghttp2 pulls it.
final class HTTP2Stream {
    var method: String?
    var path: String?
    var authority: String?
    var host: String?
    var ifNoneMatch: String?
    var announcedBody = false
    var receivedBody = false
    var contentType: String?
    var contentLength: Int?
    /// A POST's body, kept up to the session's limit (report uploads).
    var requestBody: [UInt8] = []
    /// The body went over the limit: the stream was answered 413 and reset, what follows is dropped.
    var refusedBody = false
    /// The request was handed on (a report being stored); its answer comes through `HTTP2Session.complete`.
    var awaitingAnswer = false
    /// Decoded header bytes so far, checked against the header list limit (RFC 9113 §6.5.2 accounting).
    var headerBytes = 0
    var body: [UInt8] = []
    var bodySent = 0

    /// Collects one decoded header field; false for a field that makes the request malformed.
    /// Whether this stream's body is kept (a POST, when the session keeps bodies at all).
    func keepsBody(limit: Int) -> Bool { limit > 0 && method == "POST" }

    func absorb(name: String, value: String) -> Bool {
        switch name {
        case ":method": method = value
        case ":path": path = value
        case ":authority": authority = value
        case "host": host = value
        case "if-none-match": ifNoneMatch = value
        case "content-length":
            announcedBody = value != "0"
            contentLength = Int(value)
        case "content-type": contentType = value
        default: break
        }
        return true
    }

    func requestHead() -> HTTPRequestHead {
        let method: HTTPRequestHead.Method = switch self.method {
        case "GET": .get
        case "HEAD": .head
        default: .other(self.method ?? "")
        }
        let path = (self.path ?? "").prefix { $0 != "?" && $0 != "#" }
        var head = HTTPRequestHead(method: method, path: String(path), version: .http2,
                                   host: (authority ?? host).flatMap(HostName.normalize),
                                   ifNoneMatch: ifNoneMatch, keepAlive: true, hasBody: announcedBody || receivedBody)
        head.contentLength = contentLength
        head.contentType = contentType
        return head
    }
}
