import Glibc

/// The registration of one connected socket with its loop's poller, kept inline by the socket's owner (a value, not
/// an object: an idle connection costs one allocation less). All calls on the loop's queue.
public struct SocketRegistration {
    /// The poller outlives every socket registered with it (the event loop owns both).
    private unowned(unsafe) let poller: SocketPoller
    public let descriptor: Int32
    /// The socket's calls (reads, shutdown); closing stays with `cancel`.
    public var socket: Socket { Socket(descriptor) }
    /// Kept here, not in the poller: once closed, the descriptor number may already belong to another socket.
    public private(set) var isCancelled = false

    /// Registers the socket for read readiness, delivered to `handler`, which must cancel these sources before it
    /// goes away. On failure (out of memory in the kernel) the socket is closed at once.
    public init(descriptor: Int32, poller: SocketPoller, handler: any SocketEventHandler) {
        self.init(descriptor: descriptor, poller: poller)
        register(handler: handler)
    }

    /// Sources not registered yet, for an owner that must exist before it can be the handler (see `register`).
    public init(descriptor: Int32, poller: SocketPoller) {
        self.descriptor = descriptor
        self.poller = poller
    }

    /// Registers the socket for read readiness (once), as `init(descriptor:poller:handler:)` does.
    public mutating func register(handler: any SocketEventHandler) {
        if !poller.add(descriptor, handler: handler) { cancel() }
    }

    /// Stops or restarts read events (back-pressure while output is pending).
    public func setReading(_ enabled: Bool) {
        guard !isCancelled else { return }
        poller.setReading(descriptor, enabled)
    }

    /// Asks for writable events until turned off again.
    public func setWriting(_ enabled: Bool) {
        guard !isCancelled else { return }
        poller.setWriting(descriptor, enabled)
    }

    /// Unregisters and closes the socket. No event is delivered for it afterwards.
    public mutating func cancel() {
        guard !isCancelled else { return }
        isCancelled = true
        poller.remove(descriptor)
        close(descriptor)
    }
}
