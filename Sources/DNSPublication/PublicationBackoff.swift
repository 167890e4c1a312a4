/// How long a domain waits after a failed update: exponential from 10 seconds to an hour. Shorter than ACME's:
/// an update costs the DNS server little and no rate limit counts it, while each minute of delay is a minute in
/// which senders keep a policy the operator has already replaced.
public enum PublicationBackoff {
    public static let first = 10
    public static let longest = 3_600

    /// The wait after the `failures`-th consecutive failure (1 for the first).
    public static func delay(afterFailures failures: Int) -> Int {
        let exponent = min(max(failures - 1, 0), 20)
        return min(first << exponent, longest)
    }
}
