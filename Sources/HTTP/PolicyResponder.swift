/// The one place that knows the routes: (connection host, request head) → what to answer.
public struct PolicyResponder: Sendable {
    public static let policyPath = "/.well-known/mta-sts.txt"
    /// The methods the policy route answers: the value of a 405's `Allow` field, in HTTP/1.1 and HTTP/2 alike.
    public static let allowedMethods = "GET, HEAD"

    public enum Answer: Equatable {
        case policy(PolicyResponse, notModified: Bool)
        case status(HTTPStatus)

        public static func == (lhs: Answer, rhs: Answer) -> Bool {
            switch (lhs, rhs) {
            case let (.policy(a, x), .policy(b, y)): a.etag == b.etag && a.body == b.body && x == y
            case let (.status(a), .status(b)): a == b
            default: false
            }
        }
    }

    public struct Decision: Equatable {
        public var answer: Answer
        /// Close the connection after this response.
        public var close: Bool
        /// Send headers only (HEAD).
        public var omitBody: Bool
    }

    /// Finds the policy for a host name (`mta-sts.<domain>`), nil when there is none.
    public let lookup: @Sendable (String) -> PolicyResponse?

    public init(lookup: @escaping @Sendable (String) -> PolicyResponse?) { self.lookup = lookup }

    /// - Parameters:
    ///   - serverName: the SNI the client sent, nil when it sent none (the default host's certificate was used).
    ///   - defaultHost: routes requests that carry neither SNI nor Host.
    public func decide(_ request: HTTPRequestHead, serverName: String?, defaultHost: String? = nil) -> Decision {
        var decision = Decision(answer: .status(.notFound), close: !request.keepAlive, omitBody: request.method == .head)
        if request.hasBody {
            // Requests here never carry bodies; reading past one would desynchronise the connection.
            decision.answer = .status(.badRequest)
            decision.close = true
            return decision
        }
        if let serverName, let host = request.host, host != serverName {
            decision.answer = .status(.misdirectedRequest)
            return decision
        }
        if request.path == "*" {
            // `OPTIONS *`: the server supports GET and HEAD.
            decision.answer = .status(.methodNotAllowed)
            return decision
        }
        guard let host = serverName ?? request.host ?? defaultHost, request.path == Self.policyPath,
              let response = lookup(host)
        else { return decision }
        guard request.method == .get || request.method == .head else {
            decision.answer = .status(.methodNotAllowed)
            return decision
        }
        let notModified = request.ifNoneMatch.map(response.matches(ifNoneMatch:)) ?? false
        decision.answer = .policy(response, notModified: notModified)
        return decision
    }
}
