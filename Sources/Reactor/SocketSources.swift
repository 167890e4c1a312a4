import CLinux
import Glibc

/// Readiness callbacks for one connected socket, registered with its loop's poller. All calls on the loop's queue.
public final class SocketSources {
    public let descriptor: Int32
    /// The poller outlives every socket registered with it (the event loop owns both).
    private unowned(unsafe) let poller: SocketPoller
    /// Owns these sources and cancels them before it is freed: no event reaches it afterwards.
    private unowned(unsafe) let handler: any SocketEventHandler
    private var reading = true
    private var writing = false
    private var cancelled = false

    /// Registers the socket for read readiness; on failure (out of memory in the kernel) it is closed at once.
    public init(descriptor: Int32, poller: SocketPoller, handler: any SocketEventHandler) {
        self.descriptor = descriptor
        self.poller = poller
        self.handler = handler
        if !poller.add(self, interest: interest) { cancel() }
    }

    /// Stops or restarts read events (back-pressure while output is pending).
    public func setReading(_ enabled: Bool) {
        guard !cancelled, enabled != reading else { return }
        reading = enabled
        poller.modify(descriptor, interest: interest)
    }

    /// Asks for writable events until turned off again.
    public func setWriting(_ enabled: Bool) {
        guard !cancelled, enabled != writing else { return }
        writing = enabled
        poller.modify(descriptor, interest: interest)
    }

    /// Unregisters and closes the socket. No event is delivered for it afterwards.
    public func cancel() {
        guard !cancelled else { return }
        cancelled = true
        poller.remove(descriptor)
        close(descriptor)
    }

    private var interest: UInt32 {
        (reading ? EPOLLIN.rawValue | EPOLLRDHUP.rawValue : 0) | (writing ? EPOLLOUT.rawValue : 0)
    }

    func deliver(_ events: UInt32) {
        // The handler may close itself in the first callback and be released by its owner: kept alive for both.
        let handler = self.handler
        withExtendedLifetime(handler) {
            let failed = events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
            if writing, events & EPOLLOUT.rawValue != 0 || failed {
                handler.socketWritable()
            }
            // A hang-up cannot be masked: it goes to whichever handler will notice the dead socket.
            if !cancelled, reading || (failed && !writing),
               events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 || failed {
                handler.socketReadable()
            }
        }
    }
}
