import Testing
@testable import HTTPSFetch

struct ResponseCollectorTests {
    /// libcurl hands over each line with its CRLF; "\r\n" is one Swift Character, so trimming must see scalars
    /// (a nonce ending in CRLF is refused by the CA as badNonce, every time).
    @Test func headerLinesLoseTheirLineEndAndStatusLinesStartAfresh() {
        let collector = ResponseCollector(maximumBodyBytes: 10)
        for line in ["HTTP/1.1 100 Continue\r\n", "X-Early: 1\r\n", "\r\n", "HTTP/2 400 \r\n",
                     "replay-nonce:  abc-_1\r\n", "Link: <https://ca.test/dir>;rel=\"index\"\r\n", "\r\n"] {
            let bytes = Array(line.utf8)
            bytes.withUnsafeBufferPointer { collector.appendHeaderLine($0) }
        }
        #expect(collector.headers.map(\.name) == ["replay-nonce", "Link"])
        #expect(HTTPResponseHeaders(collector.headers)["Replay-Nonce"] == "abc-_1")
        let body = Array("0123456789A".utf8)
        #expect(body.withUnsafeBufferPointer { collector.appendBody(UnsafeBufferPointer(rebasing: $0[0..<10])) })
        #expect(!body.withUnsafeBufferPointer { collector.appendBody(UnsafeBufferPointer(rebasing: $0[10...])) })
        #expect(collector.overflowed)
    }

    @Test func headerLookupIgnoresCase() {
        let headers = HTTPResponseHeaders([(name: "replay-nonce", value: "a"), (name: "Link", value: "<x>;rel=\"up\""),
                                           (name: "LINK", value: "<y>;rel=\"index\"")])
        #expect(headers["Replay-Nonce"] == "a")
        #expect(headers.values("link") == ["<x>;rel=\"up\"", "<y>;rel=\"index\""])
        #expect(headers["Location"] == nil)
    }
}
