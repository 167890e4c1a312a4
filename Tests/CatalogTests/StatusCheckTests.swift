import Testing
@testable import Catalog

/// `status --check` believes a status file only from a running writer, while fresh, with every domain served.
struct StatusCheckTests {
    let writer = ProcessIdentity(pid: 4242, startTicks: 9_000)
    func facts(states: [(String, String)] = [("a.test", "served")], problems: [String] = []) -> StatusCheck.Facts {
        StatusCheck.Facts(generatedAt: 1_000, writer: writer, problems: problems,
                          domainStates: states.map { (domain: $0.0, state: $0.1) }, rejectedPolicyFiles: [],
                          certificateProblems: [])
    }

    @Test func aFreshStatusFromTheRunningWriterWithEveryDomainServedPasses() {
        #expect(StatusCheck.failures(facts(), running: writer, now: 1_100, maxAge: 180).isEmpty)
    }

    @Test func aStoppedOrReplacedWriterFails() {
        let reused = ProcessIdentity(pid: 4242, startTicks: 9_999)
        #expect(StatusCheck.failures(facts(), running: nil, now: 1_000, maxAge: 180).first?.contains("not running") == true)
        #expect(StatusCheck.failures(facts(), running: reused, now: 1_000, maxAge: 180).first?.contains("not running") == true)
    }

    @Test func aStaleStatusFails() {
        let failures = StatusCheck.failures(facts(), running: writer, now: 1_181, maxAge: 180)
        #expect(failures.count == 1 && failures[0].contains("181 s old"))
    }

    @Test func domainsThatAreNotServedAndProblemsFailUnlessOnlyTheProcessIsJudged() {
        let sick = facts(states: [("a.test", "served"), ("b.test", "no_certificate"), ("c.test", "no_certificate"),
                                  ("d.test", "certificate_expired")], problems: ["cannot read certificate directory"])
        let failures = StatusCheck.failures(sick, running: writer, now: 1_000, maxAge: 180)
        #expect(failures == ["cannot read certificate directory", "1 domains certificate_expired: d.test",
                             "2 domains no_certificate: b.test,c.test"])
        #expect(StatusCheck.failures(sick, running: writer, now: 1_000, maxAge: 180, processOnly: true)
            == ["cannot read certificate directory"])
    }

    @Test func theStartTimeIsFieldTwentyTwoCountedPastTheCommandName() {
        let line = "77 (a (weird) name) S 1 77 77 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 123456 1000 10"
        #expect(ProcessIdentity.startTicks(statLine: line) == 123_456)
        #expect(ProcessIdentity.current?.startTicks ?? 0 > 0)
    }
}
