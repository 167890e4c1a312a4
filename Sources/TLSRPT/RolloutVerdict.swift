/// What the reports say about the next step of a domain's rollout (testing -> enforce), decided from its summary.
public struct RolloutVerdict: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// testing: long enough, enough reporters, nothing enforce would bounce.
        case readyToEnforce = "ready-to-enforce"
        /// testing: not yet; `reasons` says what blocks it.
        case keepTesting = "keep-testing"
        /// enforce: no failures.
        case healthy
        /// enforce: sessions fail (mail is being refused).
        case alert
        /// none: senders still report a policy in force, or a policy other than the one served.
        case staleReports = "stale-reports"
        /// none, or not served here: nothing to act on.
        case nothingToDo = "nothing-to-do"
        /// No reports in the window.
        case noReports = "no-reports"
    }

    public struct Settings: Sendable {
        /// Days of reports needed before `ready-to-enforce`.
        public var requiredDays = 28
        /// Reporting organizations needed before `ready-to-enforce`.
        public var requiredOrganizations = 2
        public init(requiredDays: Int = 28, requiredOrganizations: Int = 2) {
            self.requiredDays = requiredDays
            self.requiredOrganizations = requiredOrganizations
        }
    }

    public let kind: Kind
    /// One line each: what blocks the next step, or what to look at.
    public let reasons: [String]

    public init(kind: Kind, reasons: [String]) {
        self.kind = kind
        self.reasons = reasons
    }

    /// - Parameters:
    ///   - mode: the mode of the policy this host serves for the domain, nil when it serves none.
    public static func decide(_ summary: DomainSummary, mode: String?, settings: Settings) -> RolloutVerdict {
        guard summary.reports > 0 else {
            return RolloutVerdict(kind: .noReports, reasons: ["no reports received in the window"])
        }
        let verdict = decideByMode(summary, mode: mode, settings: settings)
        let stale = summary.seenPolicies.filter(\.isStale).map { seen in
            "senders still applied policy \(seen.id ?? "?") on \(seen.lastDay), after it was replaced on "
                + "\(ReportTimestamp.day(seen.replacedAt ?? 0)): check that _mta-sts.\(summary.domain) carries the new id"
        }
        guard !stale.isEmpty else { return verdict }
        // A policy change senders did not notice: enforcing now would not reach them either.
        let kind: Kind = switch verdict.kind {
        case .readyToEnforce, .keepTesting: .keepTesting
        case .healthy, .alert: .alert
        default: .staleReports
        }
        return RolloutVerdict(kind: kind, reasons: verdict.reasons + stale)
    }

    private static func decideByMode(_ summary: DomainSummary, mode: String?, settings: Settings) -> RolloutVerdict {
        switch mode {
        case "testing":
            var reasons: [String] = []
            if summary.coveredDays < settings.requiredDays {
                reasons.append("reports cover \(summary.coveredDays) of \(settings.requiredDays) days")
            }
            if summary.organizations.count < settings.requiredOrganizations {
                reasons.append("\(summary.organizations.count) of \(settings.requiredOrganizations) reporting organizations")
            }
            for (type, sessions) in summary.failuresByType.sorted(by: { $0.key < $1.key })
            where ResultType.advice(type).bouncesUnderEnforce {
                reasons.append("\(sessions) \(type) sessions would bounce under enforce: \(ResultType.advice(type).fix)")
            }
            return RolloutVerdict(kind: reasons.isEmpty ? .readyToEnforce : .keepTesting, reasons: reasons)
        case "enforce":
            let failing = summary.failuresByType.sorted { $0.key < $1.key }
                .map { "\($0.value) \($0.key) sessions failed: \(ResultType.advice($0.key).fix)" }
            return RolloutVerdict(kind: failing.isEmpty ? .healthy : .alert, reasons: failing)
        default:
            var reasons: [String] = []
            for (reportedMode, day) in summary.lastDayByReportedMode.sorted(by: { $0.key < $1.key })
            where reportedMode != "none" {
                reasons.append("senders still reported mode \(reportedMode) on \(day)")
            }
            if mode == nil { reasons.append("this host serves no policy for the domain") }
            return RolloutVerdict(kind: reasons.isEmpty || mode == nil ? .nothingToDo : .staleReports, reasons: reasons)
        }
    }
}
