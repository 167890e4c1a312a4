import HTTP

/// `serve --reports`: where POST /tlsrpt bodies go. The event loop only reads the body (within `maxBodyBytes`)
/// and hands it to `receive`, which stores it off the loop and calls back with the answer; the loop knows nothing
/// of reports beyond that (the store lives in modules of its own, wired in `main`).
public struct ReportRoute: Sendable {
    /// The largest body read, as sent (compressed or not): a larger one is refused from its Content-Length.
    public var maxBodyBytes: Int
    /// Called on the loop; must not block it. `done` may be called on any thread, once.
    public var receive: @Sendable (ReportSubmission, _ done: @escaping @Sendable (PlainAnswer) -> Void) -> Void

    public init(maxBodyBytes: Int,
                receive: @escaping @Sendable (ReportSubmission, _ done: @escaping @Sendable (PlainAnswer) -> Void) -> Void) {
        self.maxBodyBytes = maxBodyBytes
        self.receive = receive
    }
}

/// One upload as the report store sees it.
public struct ReportSubmission: Sendable {
    public let upload: ReportUpload
    /// The client's IP address (4 or 16 bytes; IPv4-mapped folded to 4), for the per-client rate limit.
    public let clientAddress: [UInt8]
    /// Whether this server serves a policy for a mail domain now (the catalog the request was answered from).
    public let servesDomain: @Sendable (String) -> Bool
}
