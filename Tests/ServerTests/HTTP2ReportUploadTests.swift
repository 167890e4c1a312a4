import HTTP
import Testing
@testable import Server

/// POST /tlsrpt on the HTTP/2 exchange: DATA kept up to the limit, handed on at END_STREAM, answered later on its
/// stream; past the limit, 413 at once.
struct HTTP2ReportUploadTests {
    typealias T = HTTP2ExchangeTests

    static func subject(limit: Int) -> T.Subject {
        let subject = T.Subject()
        subject.context = ExchangeContext(responder: T.responder, serverName: "mta-sts.a.test", date: T.context.date,
                                          isDraining: false, maxRequests: 100, maxReportBytes: limit)
        // The settings the connection gives a session when reports are on.
        var settings = HTTP2Settings()
        settings.maxRequestBodyBytes = limit
        return T.Subject(exchange: HTTP2Exchange(settings: settings), context: subject.context)
    }

    /// :method POST (literal, name index 2), :scheme https, :path /tlsrpt, :authority, content-type.
    static func post(stream: UInt32, contentLength: Int? = nil) -> [UInt8] {
        // Literal without indexing, indexed name: a 4-bit prefix, so indices from 15 take a second byte.
        func literal(nameIndex: UInt8, _ value: String) -> [UInt8] {
            (nameIndex < 15 ? [nameIndex] : [15, nameIndex - 15]) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        var block = literal(nameIndex: 2, "POST") + [0x87] + literal(nameIndex: 4, "/tlsrpt")
            + literal(nameIndex: 1, "mta-sts.a.test") + literal(nameIndex: 31, "application/tlsrpt+json")
        if let contentLength { block += literal(nameIndex: 28, String(contentLength)) }
        return T.frame(.headers, flags: 0x4, stream: stream, block)
    }

    @Test func handsTheBodyOnThenAnswersOnItsStream() {
        let subject = Self.subject(limit: 100)
        _ = subject.feed(T.preface + Self.post(stream: 1) + T.frame(.data, stream: 1, Array("{\"a\":".utf8)))
        #expect(subject.events.uploads.isEmpty)
        let frames = subject.feed(T.frame(.data, flags: 0x1, stream: 1, Array("1}".utf8)))
        #expect(!frames.contains { $0.type == T.FrameType.headers.rawValue })
        #expect(subject.events.uploads.map(\.body) == [Array("{\"a\":1}".utf8)])
        #expect(subject.events.uploads.first?.stream == 1)
        #expect(subject.events.uploads.first?.contentType == "application/tlsrpt+json")
        #expect(subject.exchange.isMidRequest && subject.events.answered.isEmpty)

        var output: [UInt8] = []
        subject.exchange.complete(stream: 1, with: PlainAnswer(.ok, "stored"), output: &output, events: &subject.events)
        let answer = HTTP2ExchangeTests().response(T.frames(output), stream: 1)
        #expect(answer.status == 0x88 && answer.body == Array("200 OK: stored\n".utf8))
        #expect(subject.events.answered.map(\.status) == [200])
    }

    @Test func refusesABodyPastTheLimitAtOnce() {
        let subject = Self.subject(limit: 4)
        let frames = subject.feed(T.preface + Self.post(stream: 1) + T.frame(.data, stream: 1, Array("12345".utf8)))
        let headers = frames.first { $0.type == T.FrameType.headers.rawValue && $0.stream == 1 }
        #expect(headers?.payload.starts(with: [0x48, 0x03] + Array("413".utf8)) == true)
        #expect(subject.events.uploads.isEmpty)
    }

    @Test func refusesAnAnnouncedLengthPastTheLimitBeforeTheBody() {
        let subject = Self.subject(limit: 4)
        let frames = subject.feed(T.preface + Self.post(stream: 1, contentLength: 1_000_000))
        #expect(frames.contains { $0.type == T.FrameType.headers.rawValue && $0.stream == 1 })
    }

    @Test func boundsTheBodiesOfAllStreamsTogether() {
        let subject = Self.subject(limit: 4)
        let frames = subject.feed(T.preface + Self.post(stream: 1) + T.frame(.data, stream: 1, Array("123".utf8))
            + Self.post(stream: 3) + T.frame(.data, stream: 3, Array("456".utf8)))
        #expect(!frames.contains { $0.type == T.FrameType.headers.rawValue && $0.stream == 1 })
        #expect(frames.contains { $0.type == T.FrameType.headers.rawValue && $0.stream == 3 })
        // The first goes on to its end.
        _ = subject.feed(T.frame(.data, flags: 0x1, stream: 1, Array("4".utf8)))
        #expect(subject.events.uploads.map(\.body) == [Array("1234".utf8)])
    }
}
