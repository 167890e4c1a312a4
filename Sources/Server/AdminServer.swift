import Dispatch
import Glibc
import HTTP
import Logging
import Reactor

/// Plain-HTTP endpoints for operators, on their own address and queue, never on the public listener:
/// `/healthz` (alive), `/readyz` (listening with a snapshot loaded), `/metrics` (Prometheus text) and
/// `/status` (the status.json document). One request per connection, then close.
final class AdminServer: @unchecked Sendable {  // confined to `queue`
    struct Endpoints {
        let isReady: () -> Bool
        let metrics: () -> [UInt8]
        let status: () -> String
    }

    let queue = DispatchQueue(label: "mta-sts-host.admin")
    let poller: SocketPoller
    private let endpoints: Endpoints
    private var acceptor: Acceptor?
    private var connections: [Int32: AdminConnection] = [:]
    private var sweepTimer: DispatchSourceTimer?
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192 + 1, alignment: 8)
    static let maxConnections = 64

    init(endpoints: Endpoints) throws {
        self.endpoints = endpoints
        poller = try SocketPoller(queue: queue)
    }

    deinit { buffer.deallocate() }

    /// Binds and starts serving; returns the bound address.
    func start(_ address: SocketAddress) throws -> SocketAddress {
        let (descriptor, port) = try ListeningSocket.open(address, backlog: 64)
        var bound = address
        bound.port = port
        queue.sync {
            let acceptor = Acceptor(descriptor: descriptor, poller: poller, queue: queue,
                                    hasCapacity: { [unowned self] in connections.count < Self.maxConnections },
                                    onAccept: { [unowned self] in
                                        connections[$0] = AdminConnection(descriptor: $0, server: self)
                                    },
                                    onExhausted: { _ in })
            acceptor.start()
            self.acceptor = acceptor
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + 1, repeating: 1)
            timer.setEventHandler { [unowned self] in
                let now = MonotonicClock.seconds()
                for connection in connections.values where connection.deadline <= now { connection.close() }
            }
            timer.activate()
            sweepTimer = timer
        }
        return bound
    }

    func closed(_ connection: AdminConnection) {
        connections[connection.descriptor] = nil
        acceptor?.resumeIfPaused()
    }

    /// The whole response for a request head.
    func respond(to result: HTTP1RequestParser.Result) -> [UInt8] {
        guard case .request(let head, _) = result else { return Self.response(400, "text/plain", Array("bad request\n".utf8)) }
        guard head.method == .get || head.method == .head else { return Self.response(405, "text/plain", Array("GET only\n".utf8)) }
        var response: [UInt8]
        switch head.path {
        case "/healthz": response = Self.response(200, "text/plain", Array("ok\n".utf8))
        case "/readyz":
            response = endpoints.isReady() ? Self.response(200, "text/plain", Array("ready\n".utf8))
                : Self.response(503, "text/plain", Array("not ready\n".utf8))
        case "/metrics": response = Self.response(200, "text/plain; version=0.0.4; charset=utf-8", endpoints.metrics())
        case "/status": response = Self.response(200, "application/json", Array(endpoints.status().utf8))
        default: response = Self.response(404, "text/plain", Array("not found\n".utf8))
        }
        if head.method == .head, let end = Self.headEnd(response) { response.removeSubrange(end...) }
        return response
    }

    private static func response(_ status: Int, _ contentType: String, _ body: [UInt8]) -> [UInt8] {
        let reason = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"][status] ?? ""
        return Array(("HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
            + "Cache-Control: no-store\r\nConnection: close\r\n\r\n").utf8) + body
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        let marker: [UInt8] = [13, 10, 13, 10]
        return bytes.indices.dropLast(3).first { Array(bytes[$0..<$0 + 4]) == marker }.map { $0 + 4 }
    }
}

/// One admin request: read the head (10 s at most), write the answer, close.
final class AdminConnection: SocketEventHandler {
    let descriptor: Int32
    private unowned let server: AdminServer
    private var sources: SocketSources!
    private var input: [UInt8] = []
    private var output: [UInt8] = []
    private var sent = 0
    private var closed = false
    let deadline = MonotonicClock.seconds() + 10

    init(descriptor: Int32, server: AdminServer) {
        self.descriptor = descriptor
        self.server = server
        sources = SocketSources(descriptor: descriptor, poller: server.poller, handler: self)
    }

    func socketWritable() { write() }

    func socketReadable() {
        guard output.isEmpty else { return }
        let count = recv(descriptor, server.buffer.baseAddress, server.buffer.count, 0)
        if count < 0, errno == EAGAIN || errno == EINTR { return }
        guard count > 0 else { return close() }
        input += UnsafeRawBufferPointer(rebasing: server.buffer[0..<count])
        let result = input.withUnsafeBytes { HTTP1RequestParser.parse($0) }
        if case .incomplete = result { return }
        output = server.respond(to: result)
        sources.setReading(false)
        write()
    }

    private func write() {
        while sent < output.count {
            let count = output.withUnsafeBytes { send(descriptor, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0, errno == EAGAIN || errno == EINTR {
                sources.setWriting(true)
                return
            }
            guard count > 0 else { return close() }
            sent += count
        }
        close()
    }

    func close() {
        guard !closed else { return }
        closed = true
        sources.cancel()
        server.closed(self)
    }
}
