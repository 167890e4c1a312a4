import Dispatch
import HTTP
import Logging
import Reactor

/// Plain-HTTP endpoints for operators, on their own address and queue, never on the public listener:
/// `/healthz` (alive), `/readyz` (listening with a snapshot loaded), `/metrics` (Prometheus text) and
/// `/status` (the status.json document). One request per connection, then close.
///
/// A health check must get through while something holds connections open without asking anything (a stuck
/// scraper, a port scanner, an attack): the budget is small and its deadlines short, and at capacity the oldest
/// connection still waiting for its request head is closed to admit the new one.
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
    /// Numbers connections in accept order, so "oldest" needs no clock.
    private var accepted = 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192 + 1, alignment: 8)
    static let maxConnections = 32
    /// A client that asks anything sends its request head at once; waiting longer only keeps a slot from others.
    static let headTimeoutMilliseconds = 2_000
    /// Enough to read a large /metrics answer on a slow link.
    static let writeTimeoutMilliseconds = 10_000

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
                                    hasCapacity: { [unowned self] in
                                        connections.count < Self.maxConnections || oldestWaiting() != nil
                                    },
                                    onAccept: { [unowned self] in admit($0) },
                                    onExhausted: { _ in })
            acceptor.start()
            self.acceptor = acceptor
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
            timer.setEventHandler { [unowned self] in
                let now = MonotonicClock.coarseMilliseconds()
                for connection in connections.values where connection.deadline <= now { connection.close() }
            }
            timer.activate()
            sweepTimer = timer
        }
        return bound
    }

    /// Takes a new connection, first closing the oldest one still without a request when the budget is spent.
    private func admit(_ socket: Socket) {
        if connections.count >= Self.maxConnections { oldestWaiting()?.close() }
        accepted += 1
        let connection = AdminConnection(socket: socket, server: self, order: accepted)
        connections[socket.descriptor] = connection
        // A prober's request is usually there already (TCP_DEFER_ACCEPT): answered now, it cannot be the oldest
        // waiting connection that a burst of later accepts evicts.
        connection.socketReadable()
    }

    /// The connection accepted first among those that have not sent a complete request head.
    private func oldestWaiting() -> AdminConnection? {
        connections.values.lazy.filter { !$0.hasRequest }.min { $0.order < $1.order }
    }

    func closed(_ connection: AdminConnection) {
        connections[connection.socket.descriptor] = nil
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

/// One admin request: read the head (`headTimeoutMilliseconds` at most), write the answer, close.
final class AdminConnection: SocketEventHandler {
    let socket: Socket
    /// Accept order: the eviction closes the lowest first.
    let order: Int
    private unowned let server: AdminServer
    private var registration: SocketRegistration!
    private var input: [UInt8] = []
    private var output: [UInt8] = []
    private var sent = 0
    private var closed = false
    /// When the sweep closes it (coarse monotonic milliseconds): first for the head, then for the answer.
    private(set) var deadline = MonotonicClock.coarseMilliseconds() + AdminServer.headTimeoutMilliseconds

    /// A complete request head arrived: the connection is answering and no longer to be evicted.
    var hasRequest: Bool { !output.isEmpty }

    init(socket: Socket, server: AdminServer, order: Int) {
        self.socket = socket
        self.order = order
        self.server = server
        registration = SocketRegistration(descriptor: socket.descriptor, poller: server.poller, handler: self)
    }

    func socketWritable() { write() }

    func socketReadable() {
        guard output.isEmpty else { return }
        let count: Int
        switch socket.receive(into: server.buffer) {
        case .done(let received): count = received
        case .wouldBlock: return
        case .closed, .failed: return close()
        }
        input += UnsafeRawBufferPointer(rebasing: server.buffer[0..<count])
        let result = input.withUnsafeBytes { HTTP1RequestParser.parse($0) }
        if case .incomplete = result { return }
        output = server.respond(to: result)
        deadline = MonotonicClock.coarseMilliseconds() + AdminServer.writeTimeoutMilliseconds
        registration.setReading(false)
        write()
    }

    private func write() {
        while sent < output.count {
            switch output.withUnsafeBytes({ socket.send(UnsafeRawBufferPointer(rebasing: $0[sent...])) }) {
            case .done(let count) where count > 0: sent += count
            case .wouldBlock:
                registration.setWriting(true)
                return
            case .done, .closed, .failed: return close()
            }
        }
        close()
    }

    func close() {
        guard !closed else { return }
        closed = true
        registration.cancel()
        server.closed(self)
    }
}
