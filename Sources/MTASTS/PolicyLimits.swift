/// Numbers from RFC 8461 and from what senders actually do, in one place.
enum PolicyLimits {
    /// RFC 8461 §3.2: max_age is at most 31557600 seconds (about one year).
    static let maxAge = 31_557_600
    /// RFC 8461 §3.3: senders SHOULD stop reading a policy at 64 KiB.
    static let maxSize = 65_536
    /// chasquid reads only the first 10 KiB; bigger policies are legal but risky.
    static let softSize = 10_240
    /// Advice thresholds for max_age (RFC 8461 §10 suggests weeks or more).
    static let oneDay = 86_400
    static let oneWeek = 604_800
    /// RFC 8461 §3.2: `1*10(DIGIT)`.
    static let maxAgeDigits = 10
}
