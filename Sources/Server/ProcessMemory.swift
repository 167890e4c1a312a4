internal import CLinux

/// Process-wide allocator settings for `serve`, applied before any thread starts.
public enum ProcessMemory {
    /// glibc gives each new thread a heap of its own, up to 8 per CPU. The loading lanes, and an event loop moving
    /// between Dispatch threads, then spread connections over many heaps, each with free memory of its own kept
    /// resident: more RSS per idle TLS connection for the same live allocations than with two heaps.
    public static func limitHeaps() {
        _ = mallopt(CLINUX_M_ARENA_MAX, 2)
    }
}
