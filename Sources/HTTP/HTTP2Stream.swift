/// One stream's request fields as they arrive, then its response body as nghttp2 pulls it.
final class HTTP2Stream {
    var method: String?
    var path: String?
    var authority: String?
    var host: String?
    var ifNoneMatch: String?
    var announcedBody = false
    var receivedBody = false
    /// Decoded header bytes so far, checked against the header list limit (RFC 9113 §6.5.2 accounting).
    var headerBytes = 0
    var body: [UInt8] = []
    var bodySent = 0

    /// Collects one decoded header field; false for a field that makes the request malformed.
    func absorb(name: String, value: String) -> Bool {
        switch name {
        case ":method": method = value
        case ":path": path = value
        case ":authority": authority = value
        case "host": host = value
        case "if-none-match": ifNoneMatch = value
        case "content-length": announcedBody = value != "0"
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
        return HTTPRequestHead(method: method, path: String(path), version: .http2,
                               host: (authority ?? host).flatMap(HostName.normalize),
                               ifNoneMatch: ifNoneMatch, keepAlive: true, hasBody: announcedBody || receivedBody)
    }
}
