import HTTP
import Testing
@testable import ReportIntake
import TLSRPT

private let json = Array("""
    {"organization-name": "x", "report-id": "y",
     "date-range": {"start-datetime": "2024-03-01T00:00:00Z", "end-datetime": "2024-03-01T23:59:59Z"},
     "policies": [{"policy": {"policy-type": "sts", "policy-domain": "b.test"},
                   "summary": {"total-successful-session-count": 1, "total-failure-session-count": 0}}]}
    """.utf8)

/// "alo\n", gzip-compressed (Python's zlib, wbits 31).
private let gzipped: [UInt8] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x4b, 0xcc, 0xc9, 0xe7, 0x02, 0x00, 0x48, 0xe3, 0xa3,
    0xe1, 0x04, 0x00, 0x00, 0x00,
]

struct GzipInflaterTests {
    @Test func inflatesAndStopsAtTheCap() {
        #expect(GzipInflater.inflate(gzipped, limit: 100) == .success(Array("alo\n".utf8)))
        #expect(GzipInflater.inflate(gzipped, limit: 3) == .failure(.tooLarge))
    }

    @Test func tellsTruncatedFromCorrupt() {
        #expect(GzipInflater.inflate(Array(gzipped.dropLast(6)), limit: 100) == .failure(.truncated))
        guard case .failure(.corrupt) = GzipInflater.inflate([0x1f, 0x8b, 0x08, 0xff, 1, 2, 3, 4, 5, 6, 7, 8], limit: 100)
        else { Issue.record("not refused as corrupt"); return }
    }

    @Test func recognisesGzipByItsMagicBytes() {
        #expect(GzipInflater.looksCompressed(gzipped))
        #expect(!GzipInflater.looksCompressed(json))
    }
}

struct ReportDecodingTests {
    private func status(_ body: [UInt8], _ type: String?, cap: Int = 1 << 20) -> Int {
        switch ReportDecoding.decode(body: body, contentType: type, maxInflatedBytes: cap) {
        case .report: 200
        case .refused(let answer, _): answer.status.rawValue
        }
    }

    @Test func decides() {
        #expect(status(json, "application/tlsrpt+json") == 200)
        #expect(status(json, "application/tlsrpt+gzip") == 200)  // by the bytes, not the label
        #expect(status(json, nil) == 200)
        #expect(status(json, "application/json; charset=utf-8") == 200)
        #expect(status(json, "image/png") == 415)
        #expect(status(json, nil, cap: 10) == 413)
        #expect(status(gzipped, "application/tlsrpt+gzip") == 400)  // "alo\n" is not JSON
        #expect(status(Array("{}".utf8), nil) == 400)
    }
}

struct ClientRateLimiterTests {
    @Test func admitsAMinutesWorthThenRefillsOverTime() {
        var limiter = ClientRateLimiter(perMinute: 2)
        let client: [UInt8] = [127, 0, 0, 1]
        let answers = [(client, 0), (client, 0), (client, 1000), ([10, 0, 0, 1], 1000), (client, 31_000), (client, 31_000)]
            .map { limiter.admit($0.0, now: $0.1) }
        #expect(answers == [true, true, false, true, true, false])
    }

    @Test func zeroMeansNoLimit() {
        var limiter = ClientRateLimiter(perMinute: 0)
        var admitted = 0
        for now in 0..<1000 where limiter.admit([1], now: now) { admitted += 1 }
        #expect(admitted == 1000)
    }
}
