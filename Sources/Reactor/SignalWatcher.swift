import Dispatch
import Glibc

/// Delivers Unix signals on a queue, without losing one sent before `watch` or during start-up.
///
/// Dispatch reads signals through a signalfd on Linux, which sees only signals blocked in every thread; a blocked
/// signal stays pending until read, so one that arrived earlier is delivered as soon as the source exists. So the
/// signal is blocked, never set to `SIG_IGN`, which would discard a pending one (POSIX). Dispatch's own threads block
/// all signals; the calling thread blocks it here. For a signal sent before this runs to survive, the process must
/// have blocked it from its start (the `serve` subcommand does, before main).
public final class SignalWatcher {
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    public func watch(_ signalNumber: Int32, queue: DispatchQueue, handler: @escaping () -> Void) {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, signalNumber)
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        source.setEventHandler(handler: handler)
        source.activate()
        sources.append(source)
    }

    deinit { sources.forEach { $0.cancel() } }
}
