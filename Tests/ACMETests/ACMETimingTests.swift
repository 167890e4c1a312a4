import Testing
@testable import ACME
import TLS

/// Pure time handling: the poll schedule, Retry-After and RFC 3339 parsing, and ARI against a scripted CA.
struct ACMETimingTests {
    @Test func pollScheduleBacksOffHonoursRetryAfterAndStopsAtTheDeadline() {
        var schedule = PollSchedule(now: 0, timeoutSeconds: 20)
        #expect(schedule.nextDelay(retryAfter: nil, now: 0) == 1)
        #expect(schedule.nextDelay(retryAfter: nil, now: 1) == 2)
        #expect(schedule.nextDelay(retryAfter: nil, now: 3) == 4)
        #expect(schedule.nextDelay(retryAfter: nil, now: 7) == 8)
        #expect(schedule.nextDelay(retryAfter: nil, now: 15) == nil)  // 15 + 8 > 20
        var honouring = PollSchedule(now: 0, timeoutSeconds: 120)
        #expect(honouring.nextDelay(retryAfter: 0, now: 0) == 1)
        #expect(honouring.nextDelay(retryAfter: 7, now: 1) == 7)
        #expect(honouring.nextDelay(retryAfter: 3600, now: 8) == 60)
        #expect(honouring.nextDelay(retryAfter: 30, now: 100) == nil)
    }

    @Test(arguments: [
        ("2025-01-02T03:04:05Z", 1_735_787_045),
        ("2025-01-02T03:04:05.123456Z", 1_735_787_045),
        ("2025-01-02T04:04:05+01:00", 1_735_787_045),
        ("2025-01-02t03:04:05z", 1_735_787_045),
        ("1970-01-01T00:00:00Z", 0),
        ("2024-02-29T23:59:59Z", 1_709_251_199),
    ])
    func rfc3339(text: String, seconds: Int) {
        #expect(TimestampParsing.rfc3339(text) == seconds)
    }

    @Test func rfc3339RefusesWhatIsNotOne() {
        for text in ["", "2025-01-02", "2025-01-02T03:04:05", "2025-13-02T03:04:05Z", "2025-01-02T03:04:05Zjunk"] {
            #expect(TimestampParsing.rfc3339(text) == nil)
        }
    }

    @Test func retryAfterIsSecondsOrAnHTTPDate() {
        #expect(TimestampParsing.retryAfter("120", now: 0) == 120)
        #expect(TimestampParsing.retryAfter(" 5 ", now: 0) == 5)
        #expect(TimestampParsing.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_777 - 60) == 60)
        #expect(TimestampParsing.retryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_777 + 60) == 0)
        #expect(TimestampParsing.retryAfter("soon", now: 0) == nil)
        #expect(TimestampParsing.retryAfter("-1", now: 0) == nil)
    }

    @Test func renewalInfoAsksTheDirectorysURLWithTheCertificateIdentifier() throws {
        let pem = try SelfIssued.certificateWithAuthorityKeyIdentifier()
        let identifier = try RenewalCertificateIdentifier.make(certificatePEM: pem)
        let transport = ScriptedTransport { request, _ in
            switch request.url {
            case ScriptedTransport.directoryURL: return (200, [], ScriptedTransport.directory)
            case "https://ca.test/ari/" + identifier:
                return (200, [("Retry-After", "21600")], """
                    {"suggestedWindow":{"start":"2025-01-02T03:04:05Z","end":"2025-01-03T03:04:05.5Z"},
                     "explanationURL":"https://ca.test/why"}
                    """)
            default: return (404, [], "")
            }
        }
        let client = ACMEClient(directoryURL: ScriptedTransport.directoryURL, accountKey: try ACMESigningKey.generate(),
                                contact: nil, transport: transport, clock: .fake())
        let window = try client.renewalInfo(certificatePEM: pem)
        #expect(window == RenewalWindow(start: 1_735_787_045, end: 1_735_873_445, explanationURL: "https://ca.test/why",
                                        retryAfter: 21600))
        #expect(transport.sent.last?.request.method == .get)
    }

    @Test func renewalInfoIsNilWithoutTheDirectoryEntry() throws {
        let transport = ScriptedTransport { request, _ in
            (200, [], #"{"newNonce":"https://ca.test/n","newAccount":"https://ca.test/a","newOrder":"https://ca.test/o"}"#)
        }
        let client = ACMEClient(directoryURL: ScriptedTransport.directoryURL, accountKey: try ACMESigningKey.generate(),
                                contact: nil, transport: transport, clock: .fake())
        #expect(try client.renewalInfo(certificatePEM: "unused") == nil)
    }
}
