import CLinux
import Glibc

/// Readiness callbacks for one connected socket, registered with its loop's poller. All calls on the loop's queue.
public final class SocketSources {
    public let descriptor: Int32
    private unowned let poller: SocketPoller
    private var reading = true
    private var writing = false
    private var cancelled = false
    private let onReadable: () -> Void
    private let onWritable: () -> Void

    /// Registers the socket for read readiness; on failure (out of memory in the kernel) it is closed at once.
    public init(descriptor: Int32, poller: SocketPoller, onReadable: @escaping () -> Void, onWritable: @escaping () -> Void) {
        self.descriptor = descriptor
        self.poller = poller
        self.onReadable = onReadable
        self.onWritable = onWritable
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
        let failed = events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
        if writing, events & EPOLLOUT.rawValue != 0 || failed {
            onWritable()
        }
        // A hang-up cannot be masked: it goes to whichever handler will notice the dead socket.
        if !cancelled, reading || (failed && !writing), events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 || failed {
            onReadable()
        }
    }
}
