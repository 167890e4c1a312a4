/// How long to wait between polls of an authorization or order (RFC 8555 §7.5.1 asks clients to honour
/// Retry-After): the server's Retry-After when it sends one (at least 1 s, at most 60 s), else 1, 2, 4, 8, 8 ... s;
/// nil once the next wait would end past the deadline, so a stuck object fails the order instead of the thread.
struct PollSchedule: Sendable {
    static let defaultTimeoutSeconds = 120.0
    let deadline: Double
    private var waited = 0

    init(now: Double, timeoutSeconds: Double = Self.defaultTimeoutSeconds) {
        deadline = now + timeoutSeconds
    }

    mutating func nextDelay(retryAfter: Int?, now: Double) -> Double? {
        let delay = retryAfter.map { Double(min(max($0, 1), 60)) } ?? Double(1 << min(waited, 3))
        waited += 1
        return now + delay <= deadline ? delay : nil
    }
}
