import HTTP
import Testing
@testable import Server

/// POST /tlsrpt on the HTTP/1.1 exchange alone: the body read to its length within the limit, handed on as an
/// upload, nothing read meanwhile, and the answer closing the connection.
struct HTTP1ReportUploadTests {
    let responder = PolicyResponder { $0 == "mta-sts.a.test" ? HTTP1ExchangeTests.policy : nil }

    func context(limit: Int = 100) -> ExchangeContext {
        ExchangeContext(responder: responder, serverName: "mta-sts.a.test", date: Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8),
                        isDraining: false, maxRequests: 100, maxReportBytes: limit)
    }

    func feed(_ exchange: HTTP1Exchange, _ text: String, context: ExchangeContext, events: inout ExchangeEvents) -> String {
        var output: [UInt8] = []
        Array(text.utf8).withUnsafeBytes { exchange.receive($0, context: context, output: &output, events: &events) }
        return String(decoding: output, as: UTF8.self)
    }

    func head(length: Int, extra: String = "") -> String {
        "POST /tlsrpt HTTP/1.1\r\nHost: mta-sts.a.test\r\nContent-Type: application/tlsrpt+json\r\nContent-Length: \(length)\r\n\(extra)\r\n"
    }

    @Test func readsTheBodyAcrossReadsThenWaitsForTheAnswer() {
        let exchange = HTTP1Exchange()
        var events = ExchangeEvents()
        #expect(feed(exchange, head(length: 10) + "01234", context: context(), events: &events).isEmpty)
        #expect(exchange.isMidRequest && !exchange.isAwaitingAnswer && events.uploads.isEmpty)
        // What follows the body is not read (the connection closes after a report).
        #expect(feed(exchange, "56789GET / HTTP/1.1\r\n\r\n", context: context(), events: &events).isEmpty)
        #expect(exchange.isAwaitingAnswer)
        #expect(events.uploads.map(\.body) == [Array("0123456789".utf8)])
        #expect(events.uploads.first?.host == "mta-sts.a.test")
        #expect(events.uploads.first?.contentType == "application/tlsrpt+json")
        #expect(feed(exchange, "more", context: context(), events: &events).isEmpty)

        var output: [UInt8] = []
        exchange.complete(with: PlainAnswer(.ok, "stored"), context: context(), output: &output, events: &events)
        let text = String(decoding: output, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n") && text.contains("Connection: close") && text.hasSuffix("200 OK: stored\n"))
        #expect(exchange.isFinished && events.answered.map(\.status) == [200])
    }

    @Test(arguments: [
        (101, "", "413"),
        (0, "", "400"),
    ])
    func refusesFromTheHead(length: Int, extra: String, status: String) {
        let exchange = HTTP1Exchange()
        var events = ExchangeEvents()
        let output = feed(exchange, head(length: length, extra: extra), context: context(), events: &events)
        #expect(output.hasPrefix("HTTP/1.1 \(status) ") && exchange.isFinished && events.uploads.isEmpty)
    }

    @Test func asksAChunkedBodyForALength() {
        let exchange = HTTP1Exchange()
        var events = ExchangeEvents()
        let output = feed(exchange, "POST /tlsrpt HTTP/1.1\r\nHost: mta-sts.a.test\r\nTransfer-Encoding: chunked\r\n\r\n",
                          context: context(), events: &events)
        #expect(output.hasPrefix("HTTP/1.1 411 "))
    }

    /// As before reports existed: a body on a route that takes none is 400, and the connection closes.
    @Test func withoutReportsTheRouteIsNotThere() {
        let exchange = HTTP1Exchange()
        var events = ExchangeEvents()
        let output = feed(exchange, head(length: 2) + "{}", context: context(limit: 0), events: &events)
        #expect(output.hasPrefix("HTTP/1.1 400 ") && exchange.isFinished)
    }

    @Test func getIsRefusedNamingPost() {
        let exchange = HTTP1Exchange()
        var events = ExchangeEvents()
        let output = feed(exchange, "GET /tlsrpt HTTP/1.1\r\nHost: mta-sts.a.test\r\n\r\n", context: context(), events: &events)
        #expect(output.hasPrefix("HTTP/1.1 405 ") && output.contains("Allow: POST\r\n") && !exchange.isFinished)
    }

    @Test func aTimeoutWhileReadingTheBodyIs408() {
        let exchange = HTTP1Exchange()
        var events = ExchangeEvents()
        _ = feed(exchange, head(length: 10) + "01", context: context(), events: &events)
        var output: [UInt8] = []
        exchange.timedOut(context: context(), output: &output, events: &events)
        #expect(String(decoding: output, as: UTF8.self).hasPrefix("HTTP/1.1 408 ") && exchange.isFinished)
    }

    @Test func drainWaitsForTheReportBeingStored() {
        let exchange = HTTP1Exchange()
        var events = ExchangeEvents()
        _ = feed(exchange, head(length: 2) + "{}", context: context(), events: &events)
        exchange.drain()
        #expect(!exchange.isFinished)
    }
}
