import Dispatch
internal import CLinux
import Glibc

/// Accepts connections on one listening socket, registered with its event loop's poller.
///
/// The listening socket shares the loop's epoll set with the connections, so a wake-up that accepts a connection
/// also serves the connections that became ready with it: with its own Dispatch source, every accept cost a
/// second round-trip through Dispatch's manager thread. Accepts in batches until EAGAIN. At the connection limit
/// it stops listening for readiness (the backlog holds the rest) until `resumeIfPaused` is called; on EMFILE/ENFILE
/// it backs off for a moment instead of spinning on a ready socket. Everything runs on the loop's queue.
public final class Acceptor: SocketEventHandler {
    private let listeningDescriptor: Int32
    private let acceptFlags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    private let poller: SocketPoller
    private let queue: DispatchQueue
    private var sources: SocketRegistration?
    private var paused = false
    private var stopped = false
    /// Decides whether to take more connections right now (the connection limit).
    private let hasCapacity: () -> Bool
    private let onAccept: (Socket) -> Void
    private let onExhausted: (Int32) -> Void

    public init(descriptor: Int32, poller: SocketPoller, queue: DispatchQueue, hasCapacity: @escaping () -> Bool,
                onAccept: @escaping (Socket) -> Void, onExhausted: @escaping (Int32) -> Void) {
        self.listeningDescriptor = descriptor
        self.poller = poller
        self.queue = queue
        self.hasCapacity = hasCapacity
        self.onAccept = onAccept
        self.onExhausted = onExhausted
    }

    /// Starts accepting. Must run on the queue.
    public func start() {
        guard sources == nil, !stopped else { return }
        sources = SocketRegistration(descriptor: listeningDescriptor, poller: poller, handler: self)
    }

    /// Stops accepting and closes the listening socket. Must run on the queue.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        if sources != nil { sources?.cancel() } else { close(listeningDescriptor) }
    }

    /// Called when a connection closes: resumes accepting if the limit had paused it.
    public func resumeIfPaused() {
        guard paused, !stopped, hasCapacity() else { return }
        paused = false
        sources?.setReading(true)
    }

    public func socketReadable() { acceptBatch() }

    public func socketWritable() {}

    private func acceptBatch() {
        for _ in 0..<64 {
            guard !stopped else { return }
            guard hasCapacity() else { pause(); return }
            let descriptor = accept4(listeningDescriptor, nil, nil, acceptFlags)
            if descriptor >= 0 {
                onAccept(Socket(descriptor))
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
        sources?.setReading(false)
    }
}
