import Glibc

/// Whole seconds on the coarse monotonic clock: cheap to read, enough for timeouts checked once a second.
enum MonotonicClock {
    static func seconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
        return now.tv_sec
    }

    /// Milliseconds on the coarse clock (a few ms resolution): connection deadlines.
    static func coarseMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }

    /// Milliseconds on the precise monotonic clock, for reporting durations.
    static func milliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }
}
