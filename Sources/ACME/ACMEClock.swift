import Glibc

/// The time the client polls by: a monotonic clock and a blocking sleep, replaced by a fake in tests.
struct ACMEClock: Sendable {
    /// Seconds, monotonic (CLOCK_MONOTONIC): wall-clock jumps do not cut a poll short or stretch it.
    let now: @Sendable () -> Double
    let sleep: @Sendable (Double) -> Void
    /// Seconds since the epoch, for HTTP dates in Retry-After.
    let wallClock: @Sendable () -> Int

    static let system = ACMEClock(
        now: {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        },
        sleep: { seconds in usleep(UInt32(min(seconds, 3600) * 1_000_000)) },
        wallClock: { Int(time(nil)) })
}
