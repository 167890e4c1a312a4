import Testing
@testable import HTTP

struct HTTP1ResponseWriterTests {
    let date = Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)
    let policy = PolicyResponse(policyID: "id1", body: Array("body\r\n".utf8))

    func render(_ answer: PolicyResponder.Answer, close: Bool = false, omitBody: Bool = false,
                version: HTTPRequestHead.Version = .http11) -> String {
        var output: [UInt8] = []
        HTTP1ResponseWriter.append(.init(answer: answer, close: close, omitBody: omitBody), version: version, date: date, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    @Test func rendersThePolicy() {
        #expect(render(.policy(policy, notModified: false)) == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: 6\r\nCache-Control: no-cache\r\nETag: \"id1\"\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\nbody\r\n")
    }

    @Test func headKeepsContentLengthButNoBody() {
        let text = render(.policy(policy, notModified: false), omitBody: true)
        #expect(text.contains("Content-Length: 6\r\n"))
        #expect(text.hasSuffix("GMT\r\n\r\n"))
    }

    @Test func notModifiedHasNoBody() {
        #expect(render(.policy(policy, notModified: true), close: true) == "HTTP/1.1 304 Not Modified\r\n"
            + "Cache-Control: no-cache\r\nETag: \"id1\"\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: close\r\n\r\n")
    }

    @Test func methodNotAllowedListsTheMethods() {
        let text = render(.status(.methodNotAllowed))
        #expect(text.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(text.contains("\r\nAllow: GET, HEAD\r\n"))
        #expect(text.hasSuffix("\r\n\r\n405 Method Not Allowed\n"))
    }

    @Test func http10KeepAliveIsAnnounced() {
        #expect(render(.status(.notFound), version: .http10).contains("\r\nConnection: keep-alive\r\n\r\n"))
    }

    @Test func datesAreIMFFixdate() {
        #expect(String(decoding: HTTPDate.render(epochSeconds: 784111777), as: UTF8.self) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(String(decoding: HTTPDate.render(epochSeconds: 0), as: UTF8.self) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }
}
