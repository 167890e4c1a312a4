/// One HTTP request: the client never follows redirects.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", head = "HEAD", post = "POST" }

    public let method: Method
    public let url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: Method, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A response: status, headers (as received, looked up without regard to case) and the body.
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: HTTPResponseHeaders
    public let body: [UInt8]

    public init(status: Int, headers: HTTPResponseHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Response header fields in order; names compare case-insensitively (RFC 9110 §5.1), since HTTP/2 sends them
/// lower-case and HTTP/1.1 servers as they like.
public struct HTTPResponseHeaders: Sendable {
    public let fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)]) { self.fields = fields }

    /// The first field named `name`.
    public subscript(name: String) -> String? { values(name).first }

    /// Every field named `name` (ACME sends several `Link` fields).
    public func values(_ name: String) -> [String] {
        let wanted = name.lowercased()
        return fields.filter { $0.name.lowercased() == wanted }.map(\.value)
    }
}
