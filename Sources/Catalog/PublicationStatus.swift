/// One domain's `_mta-sts` TXT publication as the status document shows it (`serve --dns-update`); the publisher
/// fills it in, the catalog only renders it.
public struct PublicationStatus: Sendable, Equatable {
    /// The id last seen published by this process; nil until the first update or check succeeds.
    public var publishedID: String?
    /// The id waiting to be published (or nil: the record waiting to be removed), while there is one.
    public var pendingID: String?
    public var pending: Bool
    /// Consecutive failed updates.
    public var failures: Int
    /// The last failure, with the server's RCODE when it answered, until an update succeeds.
    public var lastError: String?
    /// When the next attempt starts after a failure, Unix seconds.
    public var nextAttempt: Int?

    public init(publishedID: String?, pendingID: String?, pending: Bool, failures: Int, lastError: String?,
                nextAttempt: Int?) {
        self.publishedID = publishedID
        self.pendingID = pendingID
        self.pending = pending
        self.failures = failures
        self.lastError = lastError
        self.nextAttempt = nextAttempt
    }
}
