import Glibc
import Synchronization

/// Caps open connections per client IP address across all event loops (`--max-connections-per-client`).
final class ClientAddressLimiter: Sendable {
    private let limit: Int
    private let counts = Mutex<[ClientAddress: Int]>([:])

    init(limit: Int) { self.limit = limit }

    /// Claims a slot for the connection's peer; nil (and the connection should be closed) when at the limit.
    func admit(_ descriptor: Int32) -> ClientAddress? {
        guard let address = ClientAddress(peerOf: descriptor) else { return nil }
        let admitted = counts.withLock { counts in
            let current = counts[address, default: 0]
            guard current < limit else { return false }
            counts[address] = current + 1
            return true
        }
        return admitted ? address : nil
    }

    func release(_ address: ClientAddress) {
        counts.withLock { counts in
            let remaining = counts[address, default: 1] - 1
            counts[address] = remaining > 0 ? remaining : nil
        }
    }
}

/// A peer's IP address (IPv4-mapped IPv6 folded to IPv4, so a dual-stack socket counts a client once).
struct ClientAddress: Hashable, Sendable {
    let bytes: [UInt8]

    init?(peerOf descriptor: Int32) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) }
        }
        guard result == 0 else { return nil }
        let family = storage.ss_family
        bytes = withUnsafeBytes(of: &storage) { raw in
            if family == sa_family_t(AF_INET6) {
                let address = Array(raw[8..<24])  // sin6_addr
                let mapped: [UInt8] = Array(repeating: 0, count: 10) + [0xff, 0xff]
                return Array(address.prefix(12)) == mapped ? Array(address.suffix(4)) : address
            }
            return Array(raw[4..<8])  // sin_addr
        }
    }
}
