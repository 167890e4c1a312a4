import Dispatch

/// One pending wake-up on a serial queue, for the background managers (ACME orders, DNS updates, verify runs):
/// arming it again replaces the wake-up still pending. Confined to `queue`: arm and cancel it there.
public final class WakeUpTimer {
    private let queue: DispatchQueue
    private var source: DispatchSourceTimer?

    public init(queue: DispatchQueue) { self.queue = queue }

    /// Calls `handler` on the queue after `delay`, instead of any wake-up armed before.
    public func arm(after delay: DispatchTimeInterval, _ handler: @escaping () -> Void) {
        cancel()
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + delay)
        timer.setEventHandler(handler: handler)
        timer.activate()
        source = timer
    }

    public func cancel() {
        source?.cancel()
        source = nil
    }
}
