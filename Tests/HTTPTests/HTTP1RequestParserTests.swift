import Testing
@testable import HTTP

private func parse(_ text: String, scannedBefore: Int = 0, limits: HTTP1RequestParser.Limits = .init()) -> HTTP1RequestParser.Result {
    Array(text.utf8).withUnsafeBytes { HTTP1RequestParser.parse($0, scannedBefore: scannedBefore, limits: limits) }
}

private func head(_ text: String) -> HTTPRequestHead? {
    if case .request(let head, _) = parse(text) { return head }
    return nil
}

struct HTTP1RequestParserTests {
    @Test func parsesAGetWithHostAndQuery() throws {
        let request = "GET /.well-known/mta-sts.txt?x=1 HTTP/1.1\r\nHost: MTA-STS.Example.com:443\r\n\r\n"
        guard case .request(let head, let consumed) = parse(request) else { Issue.record("not parsed"); return }
        #expect(consumed == request.utf8.count)
        #expect(head == HTTPRequestHead(method: .get, path: "/.well-known/mta-sts.txt", version: .http11,
                                        host: "mta-sts.example.com", keepAlive: true))
    }

    @Test func leavesPipelinedBytesUnconsumed() {
        let first = "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"
        guard case .request(let head, let consumed) = parse(first + "GET /x HTTP/1.1\r\n") else { Issue.record(); return }
        #expect(head.method == .head)
        #expect(consumed == first.utf8.count)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: a\r\n", 25),
        ("GET / HTTP/1.1\r", 15),
        ("", 0),
    ])
    func incompleteHeadsAskForMore(text: String, scanned: Int) {
        #expect(parse(text) == .incomplete(scanned: scanned))
    }

    @Test func resumesScanningWhereItStopped() {
        // The same answer whether or not the earlier, incomplete part was scanned already.
        let text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(parse(text, scannedBefore: 20) == parse(text))
    }

    @Test(arguments: [
        // (request, expected status, why)
        ("GET / HTTP/1.1\r\n\r\n", HTTPStatus.badRequest, "HTTP/1.1 without Host"),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .badRequest, "duplicate Host"),
        ("GET / HTTP/1.1\nHost: a\r\n\r\n", .badRequest, "bare LF in the request line"),
        ("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", .badRequest, "obs-fold"),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", .badRequest, "space before colon"),
        ("GET / HTTP/1.1\r\nHost: a\u{0}b\r\n\r\n", .badRequest, "NUL in a value"),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .badRequest, "negative Content-Length"),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", .badRequest, "huge Content-Length"),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .badRequest, "conflicting lengths"),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", .badRequest, "length and chunked"),
        ("GET /\r\n\r\n", .badRequest, "HTTP/0.9"),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest, "double space"),
        ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest, "invalid method token"),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", .versionNotSupported, "HTTP/2 in text"),
        ("GET / HTTX/1.1\r\nHost: a\r\n\r\n", .badRequest, "not HTTP"),
        ("GET x HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest, "target is not origin-form"),
        ("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", .badRequest, "non-numeric port"),
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .versionNotSupported, "HTTP/2 preface on an HTTP/1.1 connection"),
    ])
    func rejectsMalformedHeads(request: String, status: HTTPStatus, why: String) {
        #expect(parse(request) == .invalid(status), "\(why)")
    }

    @Test func rejectsARequestLineOverTheLimit() {
        let long = "GET /" + String(repeating: "a", count: 2100) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(parse(long) == .invalid(.uriTooLong))
        // Even before the line ends.
        #expect(parse(String(long.prefix(2100))) == .invalid(.uriTooLong))
    }

    @Test func rejectsAHeadOverTheLimit() {
        let filler = (0..<100).map { "X-Filler-\($0): " + String(repeating: "v", count: 80) + "\r\n" }.joined()
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n" + filler + "\r\n") == .invalid(.headerFieldsTooLarge))
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n" + filler) == .invalid(.headerFieldsTooLarge))
    }

    @Test func readsConnectionSemantics() {
        #expect(head("GET / HTTP/1.0\r\n\r\n")?.keepAlive == false)
        #expect(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")?.keepAlive == true)
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")?.keepAlive == false)
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: TE, close\r\n\r\n")?.keepAlive == false)
    }

    @Test func readsBodiesAndConditionals() {
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n")?.hasBody == true)
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")?.hasBody == false)
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")?.hasBody == true)
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match:  \"abc\" \r\n\r\n")?.ifNoneMatch == "\"abc\"")
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n") != nil)
    }

    @Test func takesTheHostFromAnAbsoluteFormTarget() {
        let parsed = head("GET https://MTA-STS.a.test/.well-known/mta-sts.txt HTTP/1.1\r\nHost: other\r\n\r\n")
        #expect(parsed?.host == "mta-sts.a.test")
        #expect(parsed?.path == "/.well-known/mta-sts.txt")
    }

    @Test func skipsEmptyLinesBeforeARequest() {
        #expect(head("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")?.path == "/")
    }

    @Test func neverCrashesOnArbitraryBytes() {
        var generator = SplitMix(seed: 0x5eed)
        let seed = Array("GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".utf8)
        for _ in 0..<20_000 {
            var bytes = seed
            for _ in 0..<Int(generator.next() % 6 + 1) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                default: if bytes.count > 1 { bytes.remove(at: position) }
                }
            }
            let result = bytes.withUnsafeBytes { HTTP1RequestParser.parse($0) }
            if case .request(_, let consumed) = result { #expect(consumed <= bytes.count) }
        }
    }
}

/// A small seeded generator, so failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

struct HTTP1HeadLimitTests {
    /// Found by fuzzing: a head at the size limit must not depend on where a read ended.
    @Test func aHeadAtTheLimitIsAcceptedHoweverItIsSplit() {
        let prefix = "GET / HTTP/1.1\r\nHost: a\r\nX-Fill: "
        let head = prefix + String(repeating: "f", count: 8192 - prefix.utf8.count - 2) + "\r\n"
        #expect(head.utf8.count == 8192)
        let bytes = Array((head + "\r\n").utf8)
        for cut in (bytes.count - 4)..<bytes.count {
            let first = bytes[..<cut].withUnsafeBytes { HTTP1RequestParser.parse($0) }
            #expect(first == .incomplete(scanned: cut), "cut at \(cut)")
            let whole = bytes.withUnsafeBytes { HTTP1RequestParser.parse($0, scannedBefore: cut) }
            guard case .request = whole else { Issue.record("cut at \(cut): \(whole)"); continue }
        }
    }
}
