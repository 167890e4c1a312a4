import Reactor
import TLS

/// Drives a client handshake on a non-blocking socket to its end or to the deadline.
enum TLSHandshakeDriver {
    enum Failure: Error, Equatable {
        case timedOut
        /// OpenSSL's reason ("tlsv1 alert protocol version", "unsupported protocol", ...), or a closed connection.
        case failed(String)
    }

    static func run(_ session: TLSClientSession, on socket: Socket,
                    until deadline: ContinuousClock.Instant) -> Result<TLSPeer, Failure> {
        while true {
            switch session.handshake() {
            case .done:
                guard let peer = session.peer else { return .failure(.failed("the server sent no certificate")) }
                return .success(peer)
            case .wantRead:
                guard socket.wait(for: .readable, until: deadline) else { return .failure(.timedOut) }
            case .wantWrite:
                guard socket.wait(for: .writable, until: deadline) else { return .failure(.timedOut) }
            case .closed:
                return .failure(.failed("the server closed the connection during the handshake"))
            case .failed(let reason):
                return .failure(.failed(reason))
            }
        }
    }
}
