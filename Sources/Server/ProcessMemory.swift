internal import CLinux

/// Process-wide allocator settings for `serve`, applied before any thread starts.
public enum ProcessMemory {
    /// glibc gives each new thread a heap of its own, up to 8 per CPU. The loading lanes, and an event loop moving
    /// between Dispatch threads, then spread connections over many heaps: 17.2-19.7 KiB of RSS per idle TLS
    /// connection against 15.5 with two heaps (2,000 held; 15.4 KB of live allocations either way).
    public static func limitHeaps() {
        _ = mallopt(CLINUX_M_ARENA_MAX, 2)
    }
}
