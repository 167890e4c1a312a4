import Dispatch
import Glibc

/// Delivers Unix signals on a queue. The default action is disabled first, as Dispatch requires.
public final class SignalWatcher {
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    public func watch(_ signalNumber: Int32, queue: DispatchQueue, handler: @escaping () -> Void) {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        source.setEventHandler(handler: handler)
        source.activate()
        sources.append(source)
    }

    deinit { sources.forEach { $0.cancel() } }
}
