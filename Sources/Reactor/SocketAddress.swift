import FileSystem
import Glibc

/// An IPv4 or IPv6 address and port, parsed from `ADDR:PORT` (`127.0.0.1:8443`, `[::]:443`, `[::1]:0`).
public struct SocketAddress: Equatable, Sendable, CustomStringConvertible {
    public enum Family: Sendable { case ipv4, ipv6 }
    public let family: Family
    public let host: String
    public var port: UInt16

    public init?(_ text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            family = .ipv6
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            family = .ipv4
        }
        guard let port = UInt16(portText) else { return nil }
        self.host = String(host)
        self.port = port
        guard (try? withSockaddr { _, _ in }) != nil else { return nil }
    }

    /// A numeric address (as a resolver returns it) and a port.
    public init?(host: String, port: UInt16) {
        self.init(host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
    }

    public var description: String { family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Calls `body` with the address as a `sockaddr`; throws when the host is not a numeric address.
    public func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T) throws -> T {
        switch family {
        case .ipv4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw SystemError("invalid IPv4 address \(host)", code: EINVAL) }
            return try withUnsafePointer(to: &address) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .ipv6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw SystemError("invalid IPv6 address \(host)", code: EINVAL) }
            return try withUnsafePointer(to: &address) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }
}
