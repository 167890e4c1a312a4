import Synchronization

/// The TLS-ALPN-01 challenge certificates (RFC 8737) pending right now, by host name: the issuer adds one before
/// telling the CA to validate and removes it after. A handshake that offers ALPN `acme-tls/1` for such a host gets
/// that certificate and nothing else; every other handshake is as if this did not exist, and while nothing is
/// pending one atomic load is all a handshake pays.
public final class ChallengeCertificates: Sendable {
    private let pending = Mutex<[String: CertificateKeyPair]>([:])
    private let count = Atomic<Int>(0)

    public init() {}

    public func install(_ certificate: CertificateKeyPair, for host: String) {
        pending.withLock {
            $0[host.lowercased()] = certificate
            count.store($0.count, ordering: .releasing)
        }
    }

    public func remove(for host: String) {
        pending.withLock {
            $0[host.lowercased()] = nil
            count.store($0.count, ordering: .releasing)
        }
    }

    /// The pending certificate for an already lower-cased host name.
    func certificate(forHost host: String) -> CertificateKeyPair? {
        guard count.load(ordering: .acquiring) > 0 else { return nil }
        return pending.withLock { $0[host] }
    }

    public var isEmpty: Bool { count.load(ordering: .acquiring) == 0 }
}
