import Catalog
import HTTP

/// What one call into a protocol exchange needs to know, taken fresh by the connection for each call: the catalog
/// snapshot that answers (the loop's current one, so a reload reaches connections already open), the SNI the
/// client sent, the Date header, whether the server is draining, and the request budget of a connection.
/// A value: the exchange keeps no reference to its connection and calls nothing back.
struct ExchangeContext {
    let responder: PolicyResponder
    /// The server name the client sent (SNI); nil routes by Host or :authority.
    let serverName: String?
    /// Answers for requests without a usable host (`--default-host`).
    let defaultHost: String?
    /// The current Date header value.
    let date: [UInt8]
    let isDraining: Bool
    /// Requests one HTTP/1.1 connection may carry.
    let maxRequests: Int
    /// `serve --reports`: the largest report body read; 0 when reports are not accepted.
    let maxReportBytes: Int

    init(responder: PolicyResponder, serverName: String?, defaultHost: String? = nil, date: [UInt8], isDraining: Bool,
         maxRequests: Int, maxReportBytes: Int = 0) {
        self.maxReportBytes = maxReportBytes
        self.responder = responder
        self.serverName = serverName
        self.defaultHost = defaultHost
        self.date = date
        self.isDraining = isDraining
        self.maxRequests = maxRequests
    }

    init(catalog: Catalog, serverName: String?, date: [UInt8], isDraining: Bool, maxRequests: Int,
         maxReportBytes: Int = 0) {
        self.init(responder: catalog.responder, serverName: serverName, defaultHost: catalog.selection.defaultHost,
                  date: date, isDraining: isDraining, maxRequests: maxRequests, maxReportBytes: maxReportBytes)
    }

    /// Routes a request (PolicyResponder over the snapshot and the connection's SNI).
    func decide(_ request: HTTPRequestHead) -> PolicyResponder.Decision {
        responder.decide(request, serverName: serverName, defaultHost: defaultHost, acceptsReports: maxReportBytes > 0)
    }
}

/// What happened during calls into an exchange, besides the response bytes: the requests answered (to count and
/// log) and why the exchange ended the connection, if a protocol error or a limit did. The caller owns it and
/// clears it after reading (a loop keeps one, so that its capacity is reused: no allocation per request).
struct ExchangeEvents {
    struct Answered: Equatable {
        let status: Int
        /// Nil for a response to a request that could not be parsed (400) or did not arrive in time (408).
        let head: HTTPRequestHead?
    }

    var answered: [Answered] = []
    /// Why the exchange failed (an HTTP/2 protocol error, a flood refused), once.
    var failure: String?
    /// Report bodies read whole, for the connection to hand to the report route.
    var uploads: [ReportUpload] = []

    var isEmpty: Bool { answered.isEmpty && failure == nil && uploads.isEmpty }

    mutating func clear() {
        answered.removeAll(keepingCapacity: true)
        uploads.removeAll()
        failure = nil
    }
}
