import HTTP
import Testing
@testable import Server

/// The HTTP/1.1 exchange alone: decrypted bytes in, response bytes out, no sockets.
struct HTTP1ExchangeTests {
    static let policy = PolicyResponse(policyID: "id1", body: Array("version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n".utf8))
    let responder = PolicyResponder { $0 == "mta-sts.a.test" ? HTTP1ExchangeTests.policy : nil }

    /// An exchange with the context each call takes, and the events it reported.
    final class Subject {
        let context: ExchangeContext
        let exchange = HTTP1Exchange()
        var events = ExchangeEvents()
        init(_ context: ExchangeContext) { self.context = context }
        var isFinished: Bool { exchange.isFinished }
        var isMidRequest: Bool { exchange.isMidRequest }
        func timedOut(output: inout [UInt8]) { exchange.timedOut(context: context, output: &output, events: &events) }
        /// The statuses answered so far, as reported in the events.
        var answered: [Int] { events.answered.map(\.status) }
    }

    func exchange(maxRequests: Int = 100, draining: Bool = false) -> Subject {
        Subject(ExchangeContext(responder: responder, serverName: "mta-sts.a.test",
                                date: Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8), isDraining: draining,
                                maxRequests: maxRequests))
    }

    func feed(_ subject: Subject, _ text: String) -> String {
        feed(subject, Array(text.utf8)[...])
    }

    func feed(_ subject: Subject, _ bytes: ArraySlice<UInt8>) -> String {
        var output: [UInt8] = []
        Array(bytes).withUnsafeBytes {
            subject.exchange.receive($0, context: subject.context, output: &output, events: &subject.events)
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The status codes of every response in the output, in order.
    func statuses(_ output: String) -> [String] {
        var found: [String] = []
        var rest = output[...]
        while let range = rest.firstRange(of: "HTTP/1.1 ") {
            found.append(String(rest[range.upperBound...].prefix(3)))
            rest = rest[range.upperBound...]
        }
        return found
    }

    let get = "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.a.test\r\n\r\n"

    @Test func answersPipelinedRequestsInOrder() {
        let subject = exchange()
        let output = feed(subject, get + "GET /x HTTP/1.1\r\nHost: mta-sts.a.test\r\n\r\n" + get)
        #expect(statuses(output) == ["200", "404", "200"])
        #expect(subject.answered == [200, 404, 200])
        #expect(subject.events.answered.map(\.head?.path) == ["/.well-known/mta-sts.txt", "/x", "/.well-known/mta-sts.txt"])
        #expect(!subject.isFinished && !subject.isMidRequest)
    }

    @Test func waitsForTheRestOfAHeadSplitAnywhere() {
        let bytes = Array(get.utf8)
        for split in 1..<bytes.count {
            let subject = exchange()
            #expect(feed(subject, bytes[..<split]).isEmpty)
            #expect(subject.isMidRequest)
            #expect(statuses(feed(subject, bytes[split...])) == ["200"])
            #expect(!subject.isMidRequest)
        }
    }

    @Test func closesAfterAMalformedRequestAndIgnoresTheRest() {
        let subject = exchange()
        let output = feed(subject, "GET / HTTP/1.1\nHost: a\r\n\r\n" + get)
        #expect(statuses(output) == ["400"])
        #expect(subject.events.answered == [.init(status: 400, head: nil)])
        #expect(output.contains("Connection: close"))
        #expect(subject.isFinished)
        #expect(feed(subject, get).isEmpty)
    }

    @Test func answersASlowHeadWith408() {
        let subject = exchange()
        _ = feed(subject, "GET / HTTP/1.1\r\nHo")
        var output: [UInt8] = []
        subject.timedOut(output: &output)
        #expect(statuses(String(decoding: output, as: UTF8.self)) == ["408"])
        #expect(subject.events.answered == [.init(status: 408, head: nil)])
        #expect(subject.isFinished)
    }

    @Test func closesAnIdleConnectionSilentlyOnTimeout() {
        let subject = exchange()
        _ = feed(subject, get)
        var output: [UInt8] = []
        subject.timedOut(output: &output)
        #expect(output.isEmpty)
        #expect(subject.answered == [200])
        #expect(subject.isFinished)
    }

    @Test func drainClosesWhenIdleAndAnswersARequestInProgressWithClose() {
        let idle = exchange()
        _ = feed(idle, get)
        idle.exchange.drain()
        #expect(idle.isFinished)

        let busy = exchange(draining: true)
        _ = feed(busy, "GET /.well-known/mta-sts.txt HTTP/1.1\r\n")
        busy.exchange.drain()
        #expect(!busy.isFinished)
        #expect(feed(busy, "Host: mta-sts.a.test\r\n\r\n").contains("Connection: close"))
        #expect(busy.isFinished)
    }

    @Test func endsAfterWholeInputOnlyWhenNothingFollowsTheLastRequest() {
        let alone = exchange()
        _ = feed(alone, "GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts.a.test\r\nConnection: close\r\n\r\n")
        #expect(alone.isFinished && alone.exchange.endedAfterWholeInput)

        let followed = exchange(maxRequests: 1)
        _ = feed(followed, get + "GET /")
        #expect(followed.isFinished && !followed.exchange.endedAfterWholeInput)
    }

    @Test func answersFromTheContextOfEachCall() {
        let subject = exchange()
        _ = feed(subject, get)
        // A reload: the next call carries another snapshot, which no longer serves the host.
        let reloaded = ExchangeContext(responder: PolicyResponder { _ in nil }, serverName: "mta-sts.a.test",
                                       date: subject.context.date, isDraining: false, maxRequests: 100)
        var output: [UInt8] = []
        Array(get.utf8).withUnsafeBytes {
            subject.exchange.receive($0, context: reloaded, output: &output, events: &subject.events)
        }
        #expect(subject.answered == [200, 404])
    }

    @Test func closesAfterTheRequestLimitAndWhileDraining() {
        let limited = exchange(maxRequests: 2)
        let output = feed(limited, get + get + get)
        #expect(statuses(output) == ["200", "200"])
        #expect(output.hasSuffix("Connection: close\r\n\r\n" + String(decoding: Self.policy.body, as: UTF8.self)))
        #expect(limited.isFinished)

        let draining = exchange(draining: true)
        #expect(feed(draining, get).contains("Connection: close"))
        #expect(draining.isFinished)
    }
}
