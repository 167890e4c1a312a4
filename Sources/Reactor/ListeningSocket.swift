import FileSystem
import Glibc

/// A non-blocking, close-on-exec TCP listening socket. With SO_REUSEPORT each event loop binds its own, and the
/// kernel spreads new connections across them.
public enum ListeningSocket {
    /// Binds and listens; returns the descriptor and the port actually bound (useful with port 0).
    public static func open(_ address: SocketAddress, backlog: Int32 = 4096) throws -> (descriptor: Int32, port: UInt16) {
        let domain = address.family == .ipv6 ? AF_INET6 : AF_INET
        let descriptor = socket(domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SystemError("socket") }
        do {
            try SocketOption.set(descriptor, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
            try SocketOption.set(descriptor, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT")
            if address.family == .ipv6 {
                // `[::]` accepts IPv4 too (dual stack), whatever the system default is.
                try SocketOption.set(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, address.host == "::" ? 0 : 1, "IPV6_V6ONLY")
            }
            // Accepted sockets inherit it: a TLS flight or response written in pieces is never held back by Nagle.
            try SocketOption.set(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY")
            // Wake us only once the client has sent its ClientHello.
            try? SocketOption.set(descriptor, Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, 1, "TCP_DEFER_ACCEPT")
            try address.withSockaddr { pointer, length in
                guard bind(descriptor, pointer, length) == 0 else { throw SystemError("bind \(address)") }
            }
            guard listen(descriptor, backlog) == 0 else { throw SystemError("listen \(address)") }
            return (descriptor, try boundPort(descriptor))
        } catch {
            close(descriptor)
            throw error
        }
    }

    private static func boundPort(_ descriptor: Int32) throws -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { throw SystemError("getsockname") }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }
}
