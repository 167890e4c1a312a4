import FileSystem
import Glibc

/// The client side, for checks that talk to other servers (`verify`'s SMTP and TLS probes) on a thread of their
/// own: a non-blocking connect bounded by a deadline, and waiting for readiness without an event loop.
extension Socket {
    public enum Readiness: Sendable { case readable, writable }

    /// A connected non-blocking socket, or why not: refused, unreachable, or timed out (`ETIMEDOUT`).
    public static func connect(to address: SocketAddress, deadline: ContinuousClock.Instant) -> Result<Socket, SystemError> {
        let domain = address.family == .ipv6 ? AF_INET6 : AF_INET
        let descriptor = Glibc.socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return .failure(SystemError("socket")) }
        let socket = Socket(descriptor)
        do {
            let result = try address.withSockaddr { Glibc.connect(descriptor, $0, $1) }
            if result != 0 {
                guard errno == EINPROGRESS else { throw SystemError("connect to \(address)") }
                guard socket.wait(for: .writable, until: deadline) else {
                    throw SystemError("connect to \(address)", code: ETIMEDOUT)
                }
                var failure: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
                if failure != 0 { throw SystemError("connect to \(address)", code: failure) }
            }
            return .success(socket)
        } catch {
            socket.close()
            return .failure(error as? SystemError ?? SystemError("connect to \(address)", code: EINVAL))
        }
    }

    /// Waits until the socket is ready or the deadline passes; false when it passed.
    public func wait(for readiness: Readiness, until deadline: ContinuousClock.Instant) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(readiness == .readable ? POLLIN : POLLOUT), revents: 0)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            let milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            let result = poll(&entry, 1, milliseconds)
            if result > 0 { return true }
            if result < 0 && errno != EINTR { return true }  // let the next call report the error
        }
    }
}
