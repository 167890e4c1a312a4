/// When an issued certificate is renewed: once a third of its lifetime remains, pulled earlier by a per-name jitter
/// so that names issued together do not all renew in the same minute, and earlier still when the CA's renewal
/// information (RFC 9773) suggests a window that starts sooner (say, ahead of a mass revocation).
public enum RenewalSchedule {
    /// The share of the lifetime the jitter may move a renewal earlier.
    static let jitterShare = 0.1

    /// A suggested renewal window from the CA (ARI), as Unix times.
    public struct Window: Sendable, Equatable {
        public let start: Int
        public let end: Int
        public init(start: Int, end: Int) {
            self.start = start
            self.end = end
        }
    }

    /// `jitter` is in 0..<1 (chosen once per certificate); the same inputs always give the same time.
    public static func renewalTime(notBefore: Int, notAfter: Int, jitter: Double, window: Window? = nil) -> Int {
        let lifetime = max(notAfter - notBefore, 0)
        let clamped = min(max(jitter, 0), 1)
        let ours = notAfter - lifetime / 3 - Int(Double(lifetime) * jitterShare * clamped)
        guard let window, window.end >= window.start else { return ours }
        // RFC 9773 §4.2: a time chosen uniformly at random within the window.
        let suggested = window.start + Int(Double(window.end - window.start) * clamped)
        return min(ours, suggested)
    }
}
