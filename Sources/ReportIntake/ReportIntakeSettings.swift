/// `serve --reports` limits, with the defaults an operator gets when saying nothing.
public struct ReportIntakeSettings: Sendable {
    /// The largest body accepted as sent (gzip or JSON). Real reports are a few KiB compressed; a sender with
    /// thousands of failure details stays well under this.
    public var maxBodyBytes = 1 << 20
    /// The largest report after gunzip: the cap that makes a gzip bomb cost bounded memory.
    public var maxInflatedBytes = 16 << 20
    /// Reports one client address may post per minute; 0 for no limit (the default: one large provider sends one
    /// report per domain, all at once, from a few addresses).
    public var reportsPerMinutePerClient = 0

    public init() {}
}
