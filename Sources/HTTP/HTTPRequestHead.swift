/// What routing needs from an HTTP/1.1 request head (or an HTTP/2 stream's pseudo-headers).
public struct HTTPRequestHead: Equatable, Sendable {
    public enum Method: Equatable, Sendable { case get, head, other(String) }
    public enum Version: Equatable, Sendable { case http10, http11, http2 }

    public var method: Method
    /// The target's path, without the query string.
    public var path: String
    public var version: Version
    /// Host (or :authority, or the absolute-form target's authority), lower-cased, without the port.
    public var host: String?
    public var ifNoneMatch: String?
    /// Whether the client wants the connection kept open after this response.
    public var keepAlive: Bool
    /// A message body was announced (Content-Length > 0 or Transfer-Encoding): never valid on GET or HEAD here.
    public var hasBody: Bool
    /// The announced body length (Content-Length), nil when none was sent.
    public var contentLength: Int?
    /// Transfer-Encoding was sent (HTTP/1.1): the body's length is not known in advance.
    public var isChunked = false
    /// Content-Type, as sent (read for report uploads only).
    public var contentType: String?

    public init(method: Method, path: String, version: Version, host: String? = nil, ifNoneMatch: String? = nil,
                keepAlive: Bool = true, hasBody: Bool = false) {
        self.method = method
        self.path = path
        self.version = version
        self.host = host
        self.ifNoneMatch = ifNoneMatch
        self.keepAlive = keepAlive
        self.hasBody = hasBody
    }
}
