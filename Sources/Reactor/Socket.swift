import FileSystem
import Glibc

/// A connected, non-blocking socket: the system calls its owner makes on it, with results as `SocketIOResult`
/// instead of -1 and errno. A handle, not an owner: whoever holds its `SocketRegistration` closes it (`cancel`), or
/// `close` for a socket never registered. Interrupted calls are retried.
public struct Socket: Sendable {
    /// For OpenSSL, which does a TLS connection's I/O on it, and for tables indexed by descriptor.
    public let descriptor: Int32

    public init(_ descriptor: Int32) { self.descriptor = descriptor }

    /// Reads what is there, up to the buffer's size.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) -> SocketIOResult {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .done(count) }
            if count == 0 { return .closed }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wouldBlock : .failed(SystemError("recv"))
        }
    }

    /// Writes what the socket takes of `bytes`; never raises SIGPIPE.
    public func send(_ bytes: UnsafeRawBufferPointer) -> SocketIOResult {
        while true {
            let count = Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .done(count) }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wouldBlock : .failed(SystemError("send"))
        }
    }

    /// Whether input is there, without consuming it: `.done(1)` when there is, `.closed` when the peer closed.
    public func peek() -> SocketIOResult {
        var byte: UInt8 = 0
        while true {
            let count = recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            if count > 0 { return .done(count) }
            if count == 0 { return .closed }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wouldBlock : .failed(SystemError("recv"))
        }
    }

    /// Whether unread bytes wait in the socket, without consuming them (closing it now would send a reset).
    public var hasPendingInput: Bool {
        if case .done = peek() { true } else { false }
    }

    /// Sends our FIN and keeps reading (a lingering close).
    public func shutdownWrite() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// TCP_CORK: see `SocketOption.holdPartialSegments`.
    public func holdPartialSegments() {
        SocketOption.holdPartialSegments(descriptor)
    }

    /// For a socket that was never registered with a poller (refused at accept); `SocketRegistration.cancel` closes
    /// the others.
    public func close() {
        _ = Glibc.close(descriptor)
    }
}
