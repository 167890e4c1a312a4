import Dispatch
import Synchronization
import Testing
import Reactor

struct WakeUpTimerTests {
    @Test func armingAgainReplacesThePendingWakeUpAndCancelStopsIt() {
        let queue = DispatchQueue(label: "wake-up-timer-test")
        let timer = WakeUpTimer(queue: queue)
        let fired = Mutex<[String]>([])
        let done = DispatchSemaphore(value: 0)
        queue.sync {
            timer.arm(after: .milliseconds(20)) { fired.withLock { $0.append("first") } }
            timer.arm(after: .milliseconds(40)) { fired.withLock { $0.append("second") }; done.signal() }
        }
        #expect(done.wait(timeout: .now() + 5) == .success)
        queue.sync {
            timer.arm(after: .milliseconds(20)) { fired.withLock { $0.append("cancelled") } }
            timer.cancel()
        }
        // A wake-up still pending would have fired well within this.
        let quiet = DispatchSemaphore(value: 0)
        queue.asyncAfter(deadline: .now() + .milliseconds(200)) { quiet.signal() }
        quiet.wait()
        #expect(fired.withLock { $0 } == ["second"])
    }
}
