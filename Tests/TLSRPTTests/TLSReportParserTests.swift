import Testing
@testable import TLSRPT

private func parse(_ text: String) -> Result<TLSReport, TLSReportParser.Failure> {
    TLSReportParser.parse(Array(text.utf8))
}

private let rfcExample = """
    {"organization-name": "Company-X",
     "date-range": {"start-datetime": "2016-04-01T00:00:00Z", "end-datetime": "2016-04-01T23:59:59Z"},
     "contact-info": "sts-reporting@company-x.example", "report-id": "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
     "policies": [{
       "policy": {"policy-type": "sts", "policy-string": ["version: STSv1","mode: testing",
                  "mx: *.mail.company-y.example","max_age: 86400"],
                  "policy-domain": "company-y.example", "mx-host": "*.mail.company-y.example"},
       "summary": {"total-successful-session-count": 5326, "total-failure-session-count": 303},
       "failure-details": [
         {"result-type": "certificate-expired", "sending-mta-ip": "2001:db8:abcd:0012::1",
          "receiving-mx-hostname": "mx1.mail.company-y.example", "failed-session-count": 100},
         {"result-type": "starttls-not-supported", "sending-mta-ip": "2001:db8:abcd:0013::1",
          "receiving-mx-hostname": "mx2.mail.company-y.example", "receiving-ip": "203.0.113.56",
          "failed-session-count": 200, "additional-information": "https://reports.company-x.example/x"},
         {"result-type": "validation-failure", "sending-mta-ip": "198.51.100.62", "receiving-ip": "203.0.113.58",
          "receiving-mx-hostname": "mx-backup.mail.company-y.example", "failed-session-count": 3,
          "failure-reason-code": "X509_V_ERR_PROOF_OF_POSSESSION"}]}]}
    """

struct TLSReportParserTests {
    @Test func readsTheRFCExample() throws {
        let report = try parse(rfcExample).get()
        #expect(report.organization == "Company-X")
        #expect(report.reportID == "5065427c-23d3-47ca-b6e0-946ea0e8c4be")
        #expect(report.startTime == 1_459_468_800)
        #expect(report.endTime == 1_459_468_800 + 86399)
        #expect(report.policyDomains == ["company-y.example"])
        let policy = try #require(report.policies.first)
        #expect(policy.mxHosts == ["*.mail.company-y.example"])
        #expect(policy.reportedMode == "testing")
        #expect((policy.successfulSessions, policy.failedSessions) == (5326, 303))
        #expect(policy.failures.map(\.resultType) == ["certificate-expired", "starttls-not-supported", "validation-failure"])
        #expect(policy.failures.map(\.failedSessions) == [100, 200, 3])
        #expect(policy.failures[2].failureReasonCode == "X509_V_ERR_PROOF_OF_POSSESSION")
    }

    @Test func toleratesWhatRealSendersSend() throws {
        // Microsoft: no zone; Google: mx-host as an array; counts as strings; empty detail fields; an unknown
        // result type; unknown fields; a policy domain with a trailing dot and capitals.
        let report = try parse("""
            {"organization-name": "Microsoft Corporation", "report-id": "1+b.test", "x-unknown": [1, {"a": null}],
             "date-range": {"start-datetime": "2024-03-02T00:00:00", "end-datetime": "2024-03-02T23:59:59.9999"},
             "policies": [{"policy": {"policy-type": "STS", "policy-domain": "B.Test.", "mx-host": ["a.b.test", "c.b.test"]},
                           "summary": {"total-successful-session-count": "17", "total-failure-session-count": 4},
                           "failure-details": [{"result-type": "x-new-type", "receiving-ip": "", "failed-session-count": "4",
                                                "additional-information": "", "failure-reason-code": ""}]},
                          {"policy": {"policy-type": "no-policy-found", "policy-domain": "c.test"},
                           "summary": {"total-successful-session-count": 1}}]}
            """).get()
        #expect(report.startTime == 1_709_337_600)
        #expect(report.policies.map(\.domain) == ["b.test", "c.test"])
        #expect(report.policies[0].type == "sts")
        #expect(report.policies[0].mxHosts == ["a.b.test", "c.b.test"])
        #expect(report.policies[0].successfulSessions == 17)
        #expect(report.policies[0].failures == [FailureDetail(resultType: "x-new-type", failedSessions: 4)])
        #expect(report.policies[1].failedSessions == 0)
    }

    @Test(arguments: [
        ("{\"organization-name\": ", TLSReportParser.Failure.invalidJSON),
        ("[1]", .notAReport("not a JSON object")),
        ("{\"hello\": 1}", .notAReport("no organization-name")),
        ("{\"organization-name\": \"x\", \"report-id\": \"y\", \"policies\": []}", .notAReport("no usable date-range")),
        ("{\"organization-name\": \"x\", \"report-id\": \"y\", \"date-range\": {\"start-datetime\": \"2024-01-01T00:00:00Z\", \"end-datetime\": \"2024-01-01T00:00:00Z\"}, \"policies\": []}",
         .notAReport("no policies")),
    ])
    func refusesWhatIsNotAReport(text: String, failure: TLSReportParser.Failure) {
        #expect(parse(text) == .failure(failure))
    }
}

struct ReportTimestampTests {
    @Test(arguments: [
        ("2016-04-01T00:00:00Z", 1_459_468_800),
        ("2016-04-01T00:00:00", 1_459_468_800),
        ("2016-04-01 00:00:00Z", 1_459_468_800),
        ("2016-04-01T03:00:00+03:00", 1_459_468_800),
        ("2016-03-31T19:00:00-0500", 1_459_468_800),
        ("2016-04-01T00:00:00.123Z", 1_459_468_800),
        ("2016-04-01", 1_459_468_800),
        ("1970-01-01T00:00:00Z", 0),
        ("2024-02-29T12:00:00Z", 1_709_208_000),
    ])
    func parses(text: String, seconds: Int) {
        #expect(ReportTimestamp.parse(text) == seconds)
    }

    @Test(arguments: ["", "yesterday", "2016-13-01T00:00:00Z", "2016-04-01T00:00:00Q", "2016-04-01T25:00:00Z"])
    func refuses(text: String) {
        #expect(ReportTimestamp.parse(text) == nil)
    }

    @Test func namesDaysAndMonths() {
        #expect(ReportTimestamp.day(1_459_468_800 + 86399) == "2016-04-01")
        #expect(ReportTimestamp.month(1_709_208_000) == "2024-02")
    }
}
