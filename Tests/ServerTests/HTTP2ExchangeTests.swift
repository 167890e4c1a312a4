import HTTP
import Testing
@testable import Server

/// The HTTP/2 exchange alone, through nghttp2 in memory: client frames in (encoded here by hand, HPACK without
/// Huffman or indexing), server frames out, no sockets.
struct HTTP2ExchangeTests {
    static let policy = PolicyResponse(policyID: "id1", body: Array("version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n".utf8))
    static let responder = PolicyResponder { $0 == "mta-sts.a.test" ? HTTP2ExchangeTests.policy : nil }
    static let context = ExchangeContext(responder: responder, serverName: "mta-sts.a.test",
                                         date: Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8), isDraining: false,
                                         maxRequests: 100)

    enum FrameType: UInt8 { case data = 0, headers = 1, rstStream = 3, settings = 4, ping = 6, goAway = 7, windowUpdate = 8 }

    struct Frame {
        let type: UInt8
        let flags: UInt8
        let stream: UInt32
        let payload: [UInt8]
        var endStream: Bool { flags & 0x1 != 0 }
    }

    /// An exchange, the context each call takes, and what it reported.
    final class Subject {
        let exchange: HTTP2Exchange
        var context = HTTP2ExchangeTests.context
        var events = ExchangeEvents()

        init(maxStreams: Int = 100) {
            var settings = HTTP2Settings()
            settings.maxStreamsPerConnection = maxStreams
            exchange = HTTP2Exchange(settings: settings)
        }

        init(exchange: HTTP2Exchange, context: ExchangeContext) {
            self.exchange = exchange
            self.context = context
        }

        /// Feeds client bytes; returns every frame the server had to send after them.
        func feed(_ bytes: [UInt8]) -> [Frame] {
            var output: [UInt8] = []
            bytes.withUnsafeBytes { exchange.receive($0, context: context, output: &output, events: &events) }
            return HTTP2ExchangeTests.frames(output)
        }

        func produce() -> [Frame] {
            var output: [UInt8] = []
            exchange.produce(output: &output, events: &events)
            return HTTP2ExchangeTests.frames(output)
        }
    }

    static func frames(_ bytes: [UInt8]) -> [Frame] {
        var found: [Frame] = []
        var offset = 0
        while offset + 9 <= bytes.count {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            let stream = bytes[offset + 5..<offset + 9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7fff_ffff
            let end = min(bytes.count, offset + 9 + length)
            found.append(Frame(type: bytes[offset + 3], flags: bytes[offset + 4], stream: stream,
                               payload: Array(bytes[offset + 9..<end])))
            offset += 9 + length
        }
        return found
    }

    static func frame(_ type: FrameType, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        let length = UInt32(payload.count)
        var bytes: [UInt8] = []
        for shift in [16, 8, 0] as [UInt32] { bytes.append(UInt8(truncatingIfNeeded: length >> shift)) }
        bytes += [type.rawValue, flags]
        for shift in [24, 16, 8, 0] as [UInt32] { bytes.append(UInt8(truncatingIfNeeded: stream >> shift)) }
        return bytes + payload
    }

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + frame(.settings)

    /// A GET's header block: :method GET and :scheme https indexed, :path and :authority literal (not indexed).
    static func get(_ path: String = "/.well-known/mta-sts.txt", authority: String = "mta-sts.a.test") -> [UInt8] {
        func literal(nameIndex: UInt8, _ value: String) -> [UInt8] { [nameIndex, UInt8(value.utf8.count)] + Array(value.utf8) }
        let indexed: [UInt8] = [0x82, 0x87]
        return indexed + literal(nameIndex: 4, path) + literal(nameIndex: 1, authority)
    }

    /// HEADERS with END_HEADERS, and END_STREAM unless the request goes on.
    static func request(stream: UInt32, _ path: String = "/.well-known/mta-sts.txt", endStream: Bool = true) -> [UInt8] {
        frame(.headers, flags: endStream ? 0x5 : 0x4, stream: stream, get(path))
    }

    func hasGoAway(_ frames: [Frame]) -> Bool { frames.contains { $0.type == FrameType.goAway.rawValue } }

    /// The response on `stream`: its :status byte (0x88 is 200, 0x8d is 404 in the static table) and its body.
    func response(_ frames: [Frame], stream: UInt32) -> (status: UInt8?, body: [UInt8]) {
        let headers = frames.first { $0.type == FrameType.headers.rawValue && $0.stream == stream }
        let body = frames.filter { $0.type == FrameType.data.rawValue && $0.stream == stream }.flatMap(\.payload)
        return (headers?.payload.first, body)
    }

    @Test func sendsItsSettingsFirst() {
        let subject = Subject()
        let frames = subject.produce()
        #expect(frames.first?.type == FrameType.settings.rawValue)
        #expect(!subject.exchange.isFinished && !subject.exchange.isMidRequest)
    }

    @Test func answersARequestAndReportsIt() {
        let subject = Subject()
        _ = subject.produce()
        let frames = subject.feed(Self.preface + Self.request(stream: 1))
        let answer = response(frames, stream: 1)
        #expect(answer.status == 0x88)
        #expect(answer.body == Self.policy.body)
        #expect(frames.last { $0.stream == 1 }?.endStream == true)
        #expect(subject.events.answered.map(\.status) == [200])
        #expect(subject.events.answered.first?.head?.version == .http2)
        #expect(subject.events.failure == nil)
        #expect(!subject.exchange.isFinished && !subject.exchange.isMidRequest)
    }

    @Test func answersConcurrentStreams() {
        let subject = Subject()
        let frames = subject.feed(Self.preface + Self.request(stream: 1) + Self.request(stream: 3, "/x"))
        #expect(response(frames, stream: 1).status == 0x88)
        #expect(response(frames, stream: 3).status == 0x8d)
        #expect(subject.events.answered.map(\.status) == [200, 404])
    }

    @Test func isMidRequestUntilTheStreamEnds() {
        let subject = Subject()
        _ = subject.feed(Self.preface + Self.request(stream: 1, endStream: false))
        #expect(subject.exchange.isMidRequest)
        #expect(subject.events.answered.isEmpty)
        let frames = subject.feed(Self.frame(.data, flags: 0x1, stream: 1))
        #expect(response(frames, stream: 1).status == 0x88)
        #expect(!subject.exchange.isMidRequest)
    }

    @Test func answersFromTheContextOfEachCall() {
        let subject = Subject()
        _ = subject.feed(Self.preface + Self.request(stream: 1))
        // A reload: the next call carries another snapshot, which no longer serves the host.
        subject.context = ExchangeContext(responder: PolicyResponder { _ in nil }, serverName: "mta-sts.a.test",
                                          date: Self.context.date, isDraining: false, maxRequests: 100)
        let frames = subject.feed(Self.request(stream: 3))
        #expect(response(frames, stream: 3).status == 0x8d)
        #expect(subject.events.answered.map(\.status) == [200, 404])
    }

    @Test func goesAwayAfterTheStreamBudget() {
        let subject = Subject(maxStreams: 1)
        let frames = subject.feed(Self.preface + Self.request(stream: 1))
        #expect(response(frames, stream: 1).body == Self.policy.body)
        #expect(hasGoAway(frames))
        #expect(subject.exchange.isFinished)
    }

    @Test func drainGoesAwayAndFinishesOnceIdle() {
        let subject = Subject()
        _ = subject.feed(Self.preface + Self.request(stream: 1))
        var output: [UInt8] = []
        subject.exchange.drain(output: &output, events: &subject.events)
        #expect(hasGoAway(Self.frames(output)))
        #expect(subject.exchange.isFinished)
    }

    @Test func drainLetsAStreamInFlightFinish() {
        let subject = Subject()
        _ = subject.feed(Self.preface + Self.request(stream: 1, endStream: false))
        var output: [UInt8] = []
        subject.exchange.drain(output: &output, events: &subject.events)
        #expect(hasGoAway(Self.frames(output)))
        #expect(!subject.exchange.isFinished)
        let frames = subject.feed(Self.frame(.data, flags: 0x1, stream: 1))
        #expect(response(frames, stream: 1).status == 0x88)
        #expect(subject.exchange.isFinished)
    }

    @Test func timeoutGoesAwayAndFinishes() {
        let subject = Subject()
        _ = subject.feed(Self.preface + Self.request(stream: 1, endStream: false))
        var output: [UInt8] = []
        subject.exchange.timedOut(output: &output, events: &subject.events)
        #expect(hasGoAway(Self.frames(output)))
        #expect(subject.exchange.isFinished)
        #expect(subject.events.failure == nil)
    }

    @Test func reportsWhyTheSessionFailedOnce() {
        let subject = Subject()
        _ = subject.feed(Array("GET / HTTP/1.1\r\nHost: mta-sts.a.test\r\n\r\n".utf8))
        #expect(subject.exchange.isFinished)
        #expect(subject.events.failure != nil)
        subject.events.clear()
        _ = subject.feed(Self.preface)
        #expect(subject.events.isEmpty)
    }

    @Test func refusesAControlFrameFloodAndSaysSo() {
        let subject = Subject()
        let ping = Self.frame(.ping, stream: 0, Array(repeating: 0, count: 8))
        let frames = subject.feed(Self.preface + Array(Array(repeating: ping, count: 200).joined()))
        #expect(hasGoAway(frames))
        #expect(subject.exchange.isFinished)
        // HTTP2Session.receive replaces the reason its refusal gave with nghttp2's "callback failed".
        #expect(subject.events.failure != nil)
    }
}
