/// How long a name waits after a failed order: exponential from a minute to a day, and never sooner than the CA
/// asked (`Retry-After`, as with `rateLimited`). One name's failures never delay another's.
public enum RetryBackoff {
    public static let first = 60
    public static let longest = 86_400

    /// The wait after the `failures`-th consecutive failure (1 for the first).
    public static func delay(afterFailures failures: Int, retryAfter: Int? = nil) -> Int {
        let exponent = min(max(failures - 1, 0), 20)
        let backoff = min(first << exponent, longest)
        return max(backoff, retryAfter ?? 0)
    }
}
