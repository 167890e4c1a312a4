import MTASTS
import TLSRPT

/// What `reports` prints: a block of text per domain, or a JSON array (one object per domain).
enum ReportsOutput {
    struct Domain {
        let summary: DomainSummary
        let mode: String?
        let policyID: String?
        let verdict: RolloutVerdict
    }

    static func json(_ domains: [Domain]) -> String {
        JSONValue.array(domains.map { domain in
            let summary = domain.summary
            return .object([
                ("domain", .string(summary.domain)),
                ("mode", .optional(domain.mode)),
                ("policy_id", .optional(domain.policyID)),
                ("reports", .int(summary.reports)),
                ("organizations", .array(summary.organizations.map(JSONValue.string))),
                ("successful_sessions", .int(summary.successfulSessions)),
                ("failed_sessions", .int(summary.failedSessions)),
                ("failures_by_type", .object(summary.failuresByType.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
                ("failures", .array(summary.failuresByTypeAndMX.sorted { $0.key < $1.key }.map { key, sessions in
                    let advice = ResultType.advice(key.resultType)
                    return .object([("result_type", .string(key.resultType)), ("receiving_mx", .string(key.receivingMX)),
                                    ("sessions", .int(sessions)), ("meaning", .string(advice.meaning)),
                                    ("fix", .string(advice.fix))])
                })),
                ("days", .array(summary.days.map {
                    .object([("day", .string($0.day)), ("successful_sessions", .int($0.successfulSessions)),
                             ("failed_sessions", .int($0.failedSessions))])
                })),
                ("policies_seen", .array(summary.seenPolicies.map {
                    .object([("id", .optional($0.id)), ("mode", .optional($0.mode)), ("reports", .int($0.reports)),
                             ("last_day", .string($0.lastDay)), ("current", .bool($0.isCurrent)),
                             ("served_here", .bool($0.wasServed)),
                             ("replaced_on", .optional($0.replacedAt.map(ReportTimestamp.day))),
                             ("stale", .bool($0.isStale))])
                })),
                ("verdict", .string(domain.verdict.kind.rawValue)),
                ("verdict_reasons", .array(domain.verdict.reasons.map(JSONValue.string))),
            ])
        }).rendered()
    }

    static func text(_ domains: [Domain], since: Int) -> String {
        guard !domains.isEmpty else { return "no reports in the last \(since) days\n" }
        return domains.map { domain in
            let summary = domain.summary
            var lines = ["\(summary.domain): mode \(domain.mode ?? "not served")"
                + (domain.policyID.map { ", id \($0)" } ?? "") + "; verdict \(domain.verdict.kind.rawValue)"]
            lines += domain.verdict.reasons.map { "  - \($0)" }
            lines.append("  \(summary.reports) reports from \(summary.organizations.count) organizations"
                + (summary.organizations.isEmpty ? "" : " (\(summary.organizations.joined(separator: ", ")))")
                + "; sessions: \(summary.successfulSessions) successful, \(summary.failedSessions) failed")
            for day in summary.days {
                lines.append("  \(day.day)  \(day.successfulSessions) successful  \(day.failedSessions) failed")
            }
            for (key, sessions) in summary.failuresByTypeAndMX.sorted(by: { $0.key < $1.key }) {
                let advice = ResultType.advice(key.resultType)
                lines.append("  \(sessions) \(key.resultType) at \(key.receivingMX): \(advice.meaning); \(advice.fix)")
            }
            for seen in summary.seenPolicies {
                lines.append("  senders applied policy \(seen.id ?? "(not a valid policy)")"
                    + (seen.mode.map { " (mode \($0))" } ?? "") + " in \(seen.reports) reports, last \(seen.lastDay)"
                    + (seen.isCurrent ? " [current]"
                        : seen.replacedAt.map { " [replaced on \(ReportTimestamp.day($0))]" }
                        ?? (seen.wasServed ? "" : " [never served here]")))
            }
            return lines.joined(separator: "\n") + "\n"
        }.joined(separator: "\n")
    }
}
