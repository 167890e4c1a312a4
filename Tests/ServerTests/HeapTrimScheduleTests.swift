import Testing
@testable import Server

struct HeapTrimScheduleTests {
    /// Sweeps every 250 ms from `start`, returning the times at which the schedule trimmed.
    func sweeps(_ schedule: inout HeapTrimSchedule, from start: Int, count: Int, open: Int,
                handshakesPerSweep: Int = 0) -> [Int] {
        var trims: [Int] = []
        for index in 0..<count {
            for _ in 0..<handshakesPerSweep { schedule.handshakeCompleted() }
            let now = start + index * 250
            if schedule.sweep(now: now, openConnections: open) { trims.append(now) }
        }
        return trims
    }

    @Test func aBurstOfHandshakesIsTrimmedOnceItIsOver() {
        var schedule = HeapTrimSchedule()
        // 10 sweeps with 20 handshakes each: busy, never trimmed.
        #expect(sweeps(&schedule, from: 10_000, count: 10, open: 200, handshakesPerSweep: 20) == [])
        // The first quiet sweep trims; the quiet ones after it do not (nothing new was freed).
        #expect(sweeps(&schedule, from: 12_500, count: 20, open: 200) == [12_500])
    }

    @Test func aFewHandshakesAreNotWorthATrim() {
        var schedule = HeapTrimSchedule()
        let few = HeapTrimSchedule.burstHandshakes - 1
        for _ in 0..<few { schedule.handshakeCompleted() }
        #expect(sweeps(&schedule, from: 10_000, count: 40, open: few) == [])
    }

    @Test func steadyHandshakesNeverTrim() {
        var schedule = HeapTrimSchedule()
        #expect(sweeps(&schedule, from: 10_000, count: 200, open: 50, handshakesPerSweep: 1) == [])
    }

    @Test func aWaveIsTrimmedWhenMostOfItHasClosedEvenUnderLoad() {
        var schedule = HeapTrimSchedule()
        for open in 1...6_000 { schedule.opened(openConnections: open) }
        // Still above a quarter of the peak: kept.
        #expect(sweeps(&schedule, from: 10_000, count: 4, open: 1_600, handshakesPerSweep: 5) == [])
        #expect(sweeps(&schedule, from: 11_000, count: 4, open: 1_400, handshakesPerSweep: 5) == [11_000])
        // The peak is now what remained: no second trim for the same wave.
        #expect(sweeps(&schedule, from: 20_000, count: 8, open: 1_000, handshakesPerSweep: 5) == [])
    }

    @Test func trimsAreAtLeastTheMinimumIntervalApart() {
        var schedule = HeapTrimSchedule()
        var trims: [Int] = []
        // Bursts of 100 handshakes separated by one quiet sweep.
        for index in 0..<40 {
            let now = 10_000 + index * 250
            if index % 2 == 0 { for _ in 0..<100 { schedule.handshakeCompleted() } }
            if schedule.sweep(now: now, openConnections: 10) { trims.append(now) }
        }
        #expect(trims.count >= 2)
        #expect(zip(trims, trims.dropFirst()).allSatisfy { $1 - $0 >= HeapTrimSchedule.minimumInterval })
    }
}
