/// The one place that knows the routes: (connection host, request head) → what to answer.
public struct PolicyResponder: Sendable {
    public static let policyPath = "/.well-known/mta-sts.txt"
    /// The methods the policy route answers: the value of a 405's `Allow` field, in HTTP/1.1 and HTTP/2 alike.
    public static let allowedMethods = "GET, HEAD"
    /// Where senders POST TLS-RPT reports (RFC 8460 §5.4), on every served policy host, with `serve --reports`.
    public static let reportPath = "/tlsrpt"

    public enum Answer: Equatable {
        case policy(PolicyResponse, notModified: Bool)
        case status(HTTPStatus)
        case plain(PlainAnswer)
        /// A report upload: read the body (within the limit), hand it on, answer when it is stored.
        case receiveReport(host: String)

        public static func == (lhs: Answer, rhs: Answer) -> Bool {
            switch (lhs, rhs) {
            case let (.policy(a, x), .policy(b, y)): a.etag == b.etag && a.body == b.body && x == y
            case let (.status(a), .status(b)): a == b
            case let (.plain(a), .plain(b)): a == b
            case let (.receiveReport(a), .receiveReport(b)): a == b
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

        public init(answer: Answer, close: Bool, omitBody: Bool) {
            self.answer = answer
            self.close = close
            self.omitBody = omitBody
        }
    }

    /// Finds the policy for a host name (`mta-sts.<domain>`), nil when there is none.
    public let lookup: @Sendable (String) -> PolicyResponse?

    public init(lookup: @escaping @Sendable (String) -> PolicyResponse?) { self.lookup = lookup }

    /// - Parameters:
    ///   - serverName: the SNI the client sent, nil when it sent none (the default host's certificate was used).
    ///   - defaultHost: routes requests that carry neither SNI nor Host.
    ///   - acceptsReports: `serve --reports`: POST /tlsrpt is routed to the report store.
    public func decide(_ request: HTTPRequestHead, serverName: String?, defaultHost: String? = nil,
                       acceptsReports: Bool = false) -> Decision {
        var decision = Decision(answer: .status(.notFound), close: !request.keepAlive, omitBody: request.method == .head)
        if acceptsReports, request.path == Self.reportPath {
            return decideReport(request, serverName: serverName, defaultHost: defaultHost, decision: decision)
        }
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

    /// The report route: only POST, only on a served policy host. The body is read by the exchange after this.
    private func decideReport(_ request: HTTPRequestHead, serverName: String?, defaultHost: String?,
                              decision: Decision) -> Decision {
        var decision = decision
        if let serverName, let host = request.host, host != serverName {
            decision.answer = .status(.misdirectedRequest)
        } else if let host = serverName ?? request.host ?? defaultHost, lookup(host) != nil {
            decision.answer = request.method == .other("POST")
                ? .receiveReport(host: host) : .plain(PlainAnswer(.methodNotAllowed, "reports are POSTed", allow: "POST"))
        }
        // Not reading a body means not knowing where the next request starts.
        if request.hasBody, !decision.answer.isReceivingReport { decision.close = true }
        return decision
    }
}

extension PolicyResponder.Answer {
    /// The exchange is to read a report's body rather than answer now.
    public var isReceivingReport: Bool {
        if case .receiveReport = self { return true }
        return false
    }
}
