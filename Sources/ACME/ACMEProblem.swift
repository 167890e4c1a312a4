/// A problem document (RFC 7807) the ACME server answered with, e.g. `urn:ietf:params:acme:error:rateLimited`.
public struct ACMEProblem: Error, CustomStringConvertible, Sendable {
    public static let badNonce = "urn:ietf:params:acme:error:badNonce"
    public static let rateLimited = "urn:ietf:params:acme:error:rateLimited"

    public let type: String
    /// The server's detail, followed by its subproblems' (one per identifier) when it sent any.
    public let detail: String
    /// The HTTP status, or 0 for a problem reported inside an object (a failed challenge, an invalid order).
    public let status: Int
    /// The Retry-After header in seconds from the moment the response arrived, when present.
    public let retryAfter: Int?
    /// The request that got the problem (or the object that carried it).
    public let url: String

    public init(type: String, detail: String, status: Int, retryAfter: Int?, url: String) {
        self.type = type
        self.detail = detail
        self.status = status
        self.retryAfter = retryAfter
        self.url = url
    }

    public var description: String {
        var text = "\(type): \(detail.isEmpty ? "(no detail)" : detail)"
        if status != 0 { text += " (HTTP \(status) from \(url))" } else { text += " (\(url))" }
        if let retryAfter { text += ", retry after \(retryAfter) s" }
        return text
    }
}

/// A failure on the client's side of the protocol: an answer that does not fit RFC 8555, a step that timed out.
public struct ACMEError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let reason: String

    public init(_ operation: String, _ reason: String) {
        self.operation = operation
        self.reason = reason
    }

    public var description: String { "\(operation): \(reason)" }
}
