/// A request that got no HTTP response: what was asked, and libcurl's reason (DNS, connect, TLS, timeout).
public struct HTTPSClientError: Error, CustomStringConvertible, Sendable {
    public let method: String
    public let url: String
    public let reason: String

    public var description: String { "\(method) \(url): \(reason)" }
}
