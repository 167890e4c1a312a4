import Dispatch
import CLinux
import Glibc

/// Accepts connections on one listening socket from a read source on its event loop's queue.
///
/// Accepts in batches until EAGAIN. At the connection limit it suspends itself (the backlog holds the rest) until
/// `resumeIfPaused` is called; on EMFILE/ENFILE it backs off for a moment instead of spinning on a ready socket.
public final class Acceptor {
    public enum Outcome { case accepted, descriptorsExhausted(Int32), stopped }

    private let source: DispatchSourceRead
    private let listeningDescriptor: Int32
    private let acceptFlags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    private let queue: DispatchQueue
    private var paused = false
    private var stopped = false
    /// Decides whether to take more connections right now (the connection limit).
    private let hasCapacity: () -> Bool
    private let onAccept: (Int32) -> Void
    private let onExhausted: (Int32) -> Void

    public init(descriptor: Int32, queue: DispatchQueue, hasCapacity: @escaping () -> Bool,
                onAccept: @escaping (Int32) -> Void, onExhausted: @escaping (Int32) -> Void) {
        self.queue = queue
        self.listeningDescriptor = descriptor
        self.hasCapacity = hasCapacity
        self.onAccept = onAccept
        self.onExhausted = onExhausted
        source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
        source.setEventHandler { [unowned self] in acceptBatch() }
        source.setCancelHandler { close(descriptor) }
    }

    public func start() { source.activate() }

    /// Stops accepting and closes the listening socket. Must run on the queue.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        if paused { source.resume() }
        source.cancel()
    }

    /// Called when a connection closes: resumes accepting if the limit had paused it.
    public func resumeIfPaused() {
        guard paused, !stopped, hasCapacity() else { return }
        paused = false
        source.resume()
    }

    private func acceptBatch() {
        for _ in 0..<64 {
            guard hasCapacity() else { pause(); return }
            let descriptor = accept4(listeningDescriptor, nil, nil, acceptFlags)
            if descriptor >= 0 {
                onAccept(descriptor)
                continue
            }
            switch errno {
            case EAGAIN, EINTR, ECONNABORTED: return
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                onExhausted(errno)
                pause()
                let retry = UncheckedBox(self)
                queue.asyncAfter(deadline: .now() + .milliseconds(100)) { retry.value.resumeIfPaused() }
                return
            default:
                return
            }
        }
    }

    private func pause() {
        guard !paused else { return }
        paused = true
        source.suspend()
    }
}
