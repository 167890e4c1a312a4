import FileSystem
import Glibc
import Reactor
import TLS

/// How far a sender got with one MX: the SMTP dialogue up to STARTTLS, then the TLS handshake.
enum STARTTLSOutcome: Sendable, Equatable {
    case unresolved(String)
    /// The TCP connection failed (refused, unreachable).
    case unreachable(String)
    /// A step got no answer in time.
    case timedOut(step: String)
    /// The server answered a step with something else than the dialogue needs.
    case unexpected(step: String, reply: String)
    case noSTARTTLS(extensions: [String])
    case handshakeFailed(String)
    case negotiated(TLSPeer)
}

/// A sender's first steps with an MX, over our own socket: greeting, EHLO, STARTTLS, the handshake with SNI,
/// QUIT. Each step has `timeout` to complete. Blocking: run it on a thread of its own.
struct STARTTLSProbe {
    let context: TLSClientContext
    let timeout: Duration
    /// What we say in EHLO: this machine's name.
    let clientName: String

    func probe(host: String, address: SocketAddress) -> STARTTLSOutcome {
        let socket: Socket
        switch Socket.connect(to: address, deadline: .now + timeout) {
        case .failure(let error) where error.code == ETIMEDOUT: return .timedOut(step: "connect to \(address)")
        case .failure(let error): return .unreachable(error.description)
        case .success(let connected): socket = connected
        }
        defer { socket.close() }
        var dialogue = SMTPDialogue(socket: socket, timeout: timeout)
        do {
            _ = try dialogue.expect(220, after: "the greeting", sending: nil)
            let ehlo = try dialogue.expect(250, after: "EHLO", sending: "EHLO \(clientName)")
            guard ehlo.extensions.contains("STARTTLS") else { return .noSTARTTLS(extensions: ehlo.extensions) }
            _ = try dialogue.expect(220, after: "STARTTLS", sending: "STARTTLS")
        } catch {
            return error.outcome
        }
        let session: TLSClientSession
        do {
            session = try TLSClientSession(context: context, fileDescriptor: socket.descriptor, serverName: host)
        } catch {
            return .handshakeFailed(error.description)
        }
        switch TLSHandshakeDriver.run(session, on: socket, until: .now + timeout) {
        case .failure(.timedOut): return .timedOut(step: "TLS handshake")
        case .failure(.failed(let reason)): return .handshakeFailed(reason)
        case .success(let peer):
            session.sendNow(Array("QUIT\r\n".utf8))
            session.shutdown()
            return .negotiated(peer)
        }
    }

    /// EHLO's name: the host name, as postfix would send it.
    static var localHostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0, buffer[0] != 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The plain-text part of the SMTP dialogue: one command, one reply, each bounded by the timeout.
private struct SMTPDialogue {
    struct Stop: Error { let outcome: STARTTLSOutcome }

    let socket: Socket
    let timeout: Duration
    var reader = SMTPReplyReader()

    mutating func expect(_ code: Int, after step: String, sending command: String?) throws(Stop) -> SMTPReply {
        let deadline = ContinuousClock.now + timeout
        if let command { try send(command + "\r\n", step: step, deadline: deadline) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let next: SMTPReply?
            do { next = try reader.next() } catch {
                throw Stop(outcome: .unexpected(step: step, reply: "not SMTP: \(error)"))
            }
            if let reply = next {
                guard reply.code == code else { throw Stop(outcome: .unexpected(step: step, reply: reply.summary)) }
                return reply
            }
            guard socket.wait(for: .readable, until: deadline) else { throw Stop(outcome: .timedOut(step: step)) }
            let result = buffer.withUnsafeMutableBytes { socket.receive(into: $0) }
            switch result {
            case .done(let count):
                do { try reader.append(buffer[..<count]) } catch {
                    throw Stop(outcome: .unexpected(step: step, reply: "a reply longer than 64 KiB"))
                }
            case .wouldBlock: continue
            case .closed: throw Stop(outcome: .unexpected(step: step, reply: "the server closed the connection"))
            case .failed(let error): throw Stop(outcome: .unreachable(error.description))
            }
        }
    }

    private func send(_ text: String, step: String, deadline: ContinuousClock.Instant) throws(Stop) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let result = bytes.withUnsafeBytes { socket.send($0) }
            switch result {
            case .done(let count): bytes = bytes.dropFirst(count)
            case .wouldBlock:
                guard socket.wait(for: .writable, until: deadline) else { throw Stop(outcome: .timedOut(step: step)) }
            case .closed: throw Stop(outcome: .unexpected(step: step, reply: "the server closed the connection"))
            case .failed(let error): throw Stop(outcome: .unreachable(error.description))
            }
        }
    }
}

