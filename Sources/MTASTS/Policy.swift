/// A valid MTA-STS policy (RFC 8461 §3.2), as served.
///
/// The parser produces `mx` in lower case, in file order, without duplicates: the canonical body is
/// rendered from this value, so two files that mean the same policy get the same body and the same id.
public struct Policy: Equatable, Hashable, Sendable {
    public var mode: PolicyMode
    /// MX host patterns: host names or `*.`-wildcards in A-label form.
    public var mx: [String]
    /// Seconds a sender may cache the policy, 0...31557600.
    public var maxAge: Int

    public init(mode: PolicyMode, mx: [String], maxAge: Int) {
        self.mode = mode
        self.mx = mx
        self.maxAge = maxAge
    }
}
