import HTTP
import Testing
@testable import Server

/// The HTTP/1.1 exchange alone: decrypted bytes in, response bytes out, no sockets.
struct HTTP1ExchangeTests {
    static let policy = PolicyResponse(policyID: "id1", body: Array("version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n".utf8))
    let responder = PolicyResponder { $0 == "mta-sts.a.test" ? HTTP1ExchangeTests.policy : nil }

    /// The exchange holds its context unowned (as it holds its connection): the test keeps it alive.
    final class Context: ExchangeContext {
        let responder: PolicyResponder
        let maxRequests: Int
        let isDraining: Bool
        init(responder: PolicyResponder, maxRequests: Int, isDraining: Bool) {
            self.responder = responder
            self.maxRequests = maxRequests
            self.isDraining = isDraining
        }
        func decide(_ request: HTTPRequestHead) -> PolicyResponder.Decision {
            responder.decide(request, serverName: "mta-sts.a.test")
        }
        func answered(_ status: Int, _ request: HTTPRequestHead?) {}
        var date: [UInt8] { Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8) }
    }

    /// An exchange with the context it needs kept alive beside it.
    final class Subject {
        let context: Context
        let exchange: HTTP1Exchange
        init(_ context: Context) {
            self.context = context
            exchange = HTTP1Exchange(context: context)
        }
        var isFinished: Bool { exchange.isFinished }
        var isMidRequest: Bool { exchange.isMidRequest }
        func timedOut(output: inout [UInt8]) { exchange.timedOut(output: &output) }
    }

    func exchange(maxRequests: Int = 100, draining: Bool = false) -> Subject {
        Subject(Context(responder: responder, maxRequests: maxRequests, isDraining: draining))
    }

    func feed(_ subject: Subject, _ text: String) -> String {
        feed(subject, Array(text.utf8)[...])
    }

    func feed(_ subject: Subject, _ bytes: ArraySlice<UInt8>) -> String {
        var output: [UInt8] = []
        Array(bytes).withUnsafeBytes { subject.exchange.receive($0, output: &output) }
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
        #expect(subject.isFinished)
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
