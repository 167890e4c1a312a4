/// One host's ACME state as the status document shows it; the issuer fills it in, the catalog only renders it.
public struct IssuanceStatus: Sendable, Equatable {
    /// When the next order starts (renewal, or the end of a back-off), Unix seconds.
    public var nextAttempt: Int
    /// Consecutive failed orders.
    public var failures: Int
    /// The last failure, as `problem type: detail`, until an order succeeds.
    public var lastError: String?
    public var ordering: Bool

    public init(nextAttempt: Int, failures: Int, lastError: String?, ordering: Bool) {
        self.nextAttempt = nextAttempt
        self.failures = failures
        self.lastError = lastError
        self.ordering = ordering
    }
}
