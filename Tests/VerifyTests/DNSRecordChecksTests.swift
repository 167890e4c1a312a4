import DNSClient
import Testing
@testable import Verify

struct DNSRecordChecksTests {
    private let name = "_mta-sts.example.com"

    @Test func oneRecordAmongOtherTXTRecordsPassesWithItsId() {
        let (result, id) = STSRecordCheck.evaluate(.records(["google-site-verification=x", "v=STSv1; id=20240101T1"]), name: name)
        #expect(result.status == .pass)
        #expect(id == "20240101T1")
        #expect(result.target == name)
    }

    @Test func blanksAndATrailingSemicolonAndExtensionFieldsAreAllowed() throws {
        #expect(try STSRecordCheck.parseID("v=STSv1;id=a1").get() == "a1")
        #expect(try STSRecordCheck.parseID("v=STSv1 ;\tid=a1 ; ext=x;").get() == "a1")
    }

    @Test(arguments: [
        ("v=STSv1;", "no id field"),
        ("v=STSv1; id=a; id=b", "2 id fields"),
        ("v=STSv1; id=", "1 to 32"),
        ("v=STSv1; id=abc-def", "1 to 32"),
        ("v=STSv1; id=123456789012345678901234567890123", "1 to 32"),
        ("v=STSv1x; id=a", "must start with"),
    ])
    func invalidRecordsFailWithTheReason(record: String, reason: String) {
        let (result, id) = STSRecordCheck.evaluate(.records([record]), name: name)
        #expect(result.status == .fail)
        #expect(id == nil)
        #expect(result.message.contains(reason))
    }

    @Test func twoRecordsFailBecauseSendersIgnoreBoth() {
        let (result, id) = STSRecordCheck.evaluate(.records(["v=STSv1; id=a", "v=STSv1; id=b"]), name: name)
        #expect(result.status == .fail)
        #expect(result.message.contains("2 v=STSv1 TXT records"))
        #expect(id == nil)
    }

    @Test func lookupFailuresAreNamed() {
        #expect(STSRecordCheck.evaluate(.nonexistent, name: name).0.message.contains("NXDOMAIN"))
        #expect(STSRecordCheck.evaluate(.failed("SERVFAIL"), name: name).0.message.contains("SERVFAIL"))
        let timeout = STSRecordCheck.evaluate(.failed("Could not send or receive"), name: name).0
        #expect(timeout.status == .fail)
        #expect(timeout.message.contains("timed out"))
        #expect(STSRecordCheck.evaluate(.records([]), name: name).0.message.contains("no v=STSv1"))
    }

    @Test func staleIdFailsAndGivesTheRecordToPublish() {
        let result = PolicyIDCheck.evaluate(domain: "example.com", publishedID: "old1", localID: "new2")
        #expect(result.status == .fail)
        #expect(result.message.contains("_mta-sts.example.com. IN TXT \"v=STSv1; id=new2\""))
        #expect(PolicyIDCheck.evaluate(domain: "example.com", publishedID: "new2", localID: "new2").status == .pass)
        #expect(PolicyIDCheck.evaluate(domain: "example.com", publishedID: "x", localID: nil).status == .skip)
        #expect(PolicyIDCheck.evaluate(domain: "example.com", publishedID: nil, localID: "new2").status == .fail)
    }

    @Test func tlsrptRecordMissingWarnsAndBadRuaFails() {
        let name = "_smtp._tls.example.com"
        #expect(TLSRPTRecordCheck.evaluate(.nonexistent, name: name).status == .warn)
        #expect(TLSRPTRecordCheck.evaluate(.records(["v=spf1 -all"]), name: name).status == .warn)
        #expect(TLSRPTRecordCheck.evaluate(.records(["v=TLSRPTv1; rua=mailto:r@example.com"]), name: name).status == .pass)
        #expect(TLSRPTRecordCheck.evaluate(.records(["v=TLSRPTv1;rua=https://mta-sts.example.com/tlsrpt,mailto:r@x.org"]), name: name).status == .pass)
        #expect(TLSRPTRecordCheck.evaluate(.records(["v=TLSRPTv1; rua=ftp://x"]), name: name).status == .fail)
        #expect(TLSRPTRecordCheck.evaluate(.records(["v=TLSRPTv1;"]), name: name).status == .fail)
        #expect(TLSRPTRecordCheck.evaluate(.records(["v=TLSRPTv1; rua=mailto:a@x", "v=TLSRPTv1; rua=mailto:b@x"]), name: name).status == .fail)
        #expect(TLSRPTRecordCheck.evaluate(.failed("SERVFAIL"), name: name).status == .fail)
    }
}
