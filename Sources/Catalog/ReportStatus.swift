/// The last TLS-RPT report received about one domain, as the status document shows it (`serve --reports`); the
/// report receiver fills it in, the catalog only renders it.
public struct ReportStatus: Sendable, Equatable {
    public var organization: String
    public var reportID: String
    /// The end of the report's date range, Unix seconds.
    public var endTime: Int
    /// When it was stored, Unix seconds.
    public var receivedAt: Int

    public init(organization: String, reportID: String, endTime: Int, receivedAt: Int) {
        self.organization = organization
        self.reportID = reportID
        self.endTime = endTime
        self.receivedAt = receivedAt
    }
}
