import FileSystem

/// The outcome of one non-blocking call on a connected socket.
public enum SocketIOResult: Equatable {
    /// Bytes received (more than 0) or sent.
    case done(Int)
    /// Nothing to read, or no room to write, until the poller says otherwise.
    case wouldBlock
    /// The peer closed its side (a receive returned end of file).
    case closed
    /// The call failed (a reset, say), with the call and errno.
    case failed(SystemError)
}
