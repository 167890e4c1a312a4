import Testing
@testable import TLSRPT

private func row(_ organization: String, day: Int, domain: String = "b.test", mode: String = "testing",
                 successes: Int = 10, failures: [PolicyRow.Failure] = []) -> PolicyRow {
    let start = 1_709_251_200 + day * 86400  // 2024-03-01
    return PolicyRow(organization: organization, reportID: "\(organization)-\(day)", startTime: start,
                     endTime: start + 86399, domain: domain, type: "sts",
                     policyString: "version: STSv1\nmode: \(mode)\nmx: mx1.b.test\nmax_age: 86400",
                     successfulSessions: successes, failedSessions: failures.reduce(0) { $0 + $1.sessions },
                     failures: failures)
}

private func cleanMonth() -> [PolicyRow] {
    (0..<28).flatMap { [row("Google", day: $0), row("Microsoft", day: $0)] }
}

private func verdict(_ rows: [PolicyRow], mode: String?) -> RolloutVerdict {
    RolloutVerdict.decide(DomainSummary(domain: "b.test", rows: rows, currentPolicyID: nil), mode: mode,
                          settings: RolloutVerdict.Settings())
}

struct RolloutVerdictTests {
    @Test func testingIsReadyAfterFourCleanWeeksFromTwoOrganizations() {
        #expect(verdict(cleanMonth(), mode: "testing").kind == .readyToEnforce)
    }

    @Test func testingNeedsTheDaysAndTheOrganizations() {
        let short = verdict(Array(cleanMonth().prefix(20)), mode: "testing")
        #expect(short.kind == .keepTesting)
        #expect(short.reasons == ["reports cover 10 of 28 days"])
        let alone = verdict(cleanMonth().filter { $0.organization == "Google" }, mode: "testing")
        #expect(alone.reasons == ["1 of 2 reporting organizations"])
    }

    @Test func aFailureEnforceWouldBounceBlocksIt() {
        var rows = cleanMonth()
        rows.append(row("Google", day: 27, failures: [.init(resultType: "certificate-expired", receivingMX: "mx2", sessions: 3)]))
        let result = verdict(rows, mode: "testing")
        #expect(result.kind == .keepTesting)
        #expect(result.reasons == ["3 certificate-expired sessions would bounce under enforce: renew the MX certificate"])
    }

    @Test func aPolicyFetchErrorDoesNotBlockIt() {
        var rows = cleanMonth()
        rows.append(row("Google", day: 27, failures: [.init(resultType: "sts-policy-fetch-error", receivingMX: nil, sessions: 1)]))
        #expect(verdict(rows, mode: "testing").kind == .readyToEnforce)
    }

    @Test func anUnknownResultTypeCountsAsABounce() {
        var rows = cleanMonth()
        rows.append(row("Google", day: 27, failures: [.init(resultType: "x-new", receivingMX: nil, sessions: 1)]))
        #expect(verdict(rows, mode: "testing").kind == .keepTesting)
    }

    @Test func enforceTurnsFailuresIntoAlerts() {
        #expect(verdict(cleanMonth(), mode: "enforce").kind == .healthy)
        let failing = [row("Google", day: 1, failures: [.init(resultType: "validation-failure", receivingMX: "mx9", sessions: 2)])]
        let result = verdict(failing, mode: "enforce")
        #expect(result.kind == .alert)
        #expect(result.reasons.first?.hasPrefix("2 validation-failure sessions failed") == true)
    }

    @Test func noneReportsSendersStillApplyingAnOlderPolicy() {
        let result = verdict([row("Google", day: 3, mode: "enforce"), row("Google", day: 5, mode: "none")], mode: "none")
        #expect(result.kind == .staleReports)
        #expect(result.reasons == ["senders still reported mode enforce on 2024-03-04"])
        #expect(verdict([row("Google", day: 5, mode: "none")], mode: "none").kind == .nothingToDo)
    }

    @Test func noReportsIsSaidSo() {
        #expect(verdict([], mode: "testing").kind == .noReports)
    }

    @Test func summaryCountsReportsOncePerOrganizationAndID() {
        let rows = [row("Google", day: 1), row("Google", day: 1), row("Google", day: 2, domain: "c.test")]
        let summary = DomainSummary(domain: "b.test", rows: rows, currentPolicyID: nil)
        #expect(summary.reports == 1)
        #expect(summary.successfulSessions == 20)
        #expect(summary.days.map(\.day) == ["2024-03-02"])
    }

    @Test func theSeenPolicyIsMatchedToTheServedIDByContent() throws {
        let id = try #require(ReportedPolicy.id(of: "version: STSv1\nmode: testing\nmx: mx1.b.test\nmax_age: 86400"))
        // Another key order and line end style: the same policy, the same id.
        #expect(ReportedPolicy.id(of: "version: STSv1\nmax_age: 86400\nmode: testing\nmx: mx1.b.test") == id)
        let summary = DomainSummary(domain: "b.test", rows: [row("Google", day: 1)], currentPolicyID: id)
        #expect(summary.seenPolicies.map(\.isCurrent) == [true])
        let stale = DomainSummary(domain: "b.test", rows: [row("Google", day: 1, mode: "enforce")], currentPolicyID: id)
        #expect(stale.seenPolicies.map(\.isCurrent) == [false])
    }

    @Test func aReplacedPolicyQuotedDaysLaterBlocksTheVerdict() throws {
        let old = try #require(ReportedPolicy.id(of: "version: STSv1\nmode: testing\nmx: mx1.b.test\nmax_age: 86400"))
        let change = 1_709_251_200 + 20 * 86400  // 2024-03-21
        let served = [ServedPolicy(domain: "b.test", id: old, mode: "testing", firstServed: 0),
                      ServedPolicy(domain: "b.test", id: "new", mode: "testing", firstServed: change)]
        // Quoted the day after the change: senders may not have refetched yet.
        let early = DomainSummary(domain: "b.test", rows: cleanMonth().filter { $0.startTime < change + 86400 },
                                  currentPolicyID: "new", served: served)
        #expect(early.seenPolicies.first?.replacedAt == change && early.seenPolicies.first?.isStale == false)
        let late = DomainSummary(domain: "b.test", rows: cleanMonth(), currentPolicyID: "new", served: served)
        #expect(late.seenPolicies.first?.isStale == true)
        let result = RolloutVerdict.decide(late, mode: "testing", settings: RolloutVerdict.Settings())
        #expect(result.kind == .keepTesting)
        #expect(result.reasons.last?.hasSuffix("check that _mta-sts.b.test carries the new id") == true)
        // A policy never served here is not stale: it is someone else's.
        let foreign = DomainSummary(domain: "b.test", rows: cleanMonth(), currentPolicyID: "new", served: [])
        #expect(foreign.seenPolicies.first.map { !$0.wasServed && !$0.isStale } == true)
    }
}
