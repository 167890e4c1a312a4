/// When an event loop gives freed heap memory back to the system (`malloc_trim`), decided once per sweep.
///
/// glibc returns memory only from the top of the heap on its own. Two kinds of freed memory stay resident
/// otherwise, inside the heap where connections that still live surround it:
/// - after a wave of connections closes (say, 6,000 slow clients), the memory they held;
/// - after a burst of handshakes, the 33 KiB of TLS record buffers each in-flight handshake used: holes that the
///   idle connections still open after the burst keep resident, at a cost per connection, for as long as they stay.
/// A busy loop never trims (the holes are about to be reused, and trimming would only add page faults); the
/// burst rule waits for a sweep interval without a handshake.
struct HeapTrimSchedule {
    /// Handshakes since the last trim that make their record buffers worth giving back.
    static let burstHandshakes = 64
    /// Open connections at a peak that make a wave: trimmed once fewer than a quarter of them remain.
    static let wavePeak = 512
    /// Milliseconds between two trims at least: each walks the whole heap, and costs most just after a wave has
    /// closed. Short enough that the trim after a burst is not held back by one during it: a longer interval was,
    /// and left the idle connections holding the burst's holes until it passed.
    static let minimumInterval = 500

    private var connectionPeak = 0
    private var handshakesSinceTrim = 0
    private var handshakesSinceSweep = 0
    private var lastTrim: Int?

    /// Counts a connection opened (for the wave's peak) with the count now open.
    mutating func opened(openConnections: Int) {
        connectionPeak = max(connectionPeak, openConnections)
    }

    mutating func handshakeCompleted() {
        handshakesSinceTrim += 1
        handshakesSinceSweep += 1
    }

    /// Called by each sweep (`now` in milliseconds); true when the loop should trim now.
    mutating func sweep(now: Int, openConnections: Int) -> Bool {
        let quiet = handshakesSinceSweep == 0
        handshakesSinceSweep = 0
        if let lastTrim, now - lastTrim < Self.minimumInterval { return false }
        let afterWave = connectionPeak >= Self.wavePeak && openConnections < connectionPeak / 4
        let afterBurst = handshakesSinceTrim >= Self.burstHandshakes && quiet
        guard afterWave || afterBurst else { return false }
        lastTrim = now
        connectionPeak = openConnections
        handshakesSinceTrim = 0
        return true
    }
}
