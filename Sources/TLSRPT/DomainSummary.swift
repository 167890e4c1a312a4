/// One domain's reports in a window, counted: what `reports` prints and the verdict reads.
public struct DomainSummary: Sendable, Equatable {
    public struct Day: Sendable, Equatable {
        public var day: String
        public var successfulSessions = 0
        public var failedSessions = 0
    }

    public struct FailureKey: Hashable, Sendable, Comparable {
        public var resultType: String
        public var receivingMX: String
        public static func < (a: FailureKey, b: FailureKey) -> Bool {
            (a.resultType, a.receivingMX) < (b.resultType, b.receivingMX)
        }
    }

    /// A policy the senders quoted, by id (nil when the policy-string is not a valid policy).
    public struct SeenPolicy: Sendable, Equatable {
        public var id: String?
        public var mode: String?
        public var reports: Int
        public var lastDay: String
        /// Start of the latest report quoting it.
        public var lastReportStart: Int
        /// Whether it is the policy this host serves now.
        public var isCurrent: Bool
        /// Whether this host ever served it (the history `serve --reports` keeps).
        public var wasServed: Bool
        /// When the next policy took its place (not current, and served here).
        public var replacedAt: Int?

        /// Quoted by a report that began two days or more after the policy was replaced: senders refetch when
        /// the `_mta-sts` id changes, so they did not see a new one.
        public var isStale: Bool {
            guard let replacedAt, !isCurrent else { return false }
            return lastReportStart >= replacedAt + 2 * 86400
        }
    }

    public let domain: String
    public private(set) var reports = 0
    public private(set) var organizations: [String] = []
    public private(set) var successfulSessions = 0
    public private(set) var failedSessions = 0
    public private(set) var days: [Day] = []
    public private(set) var failuresByType: [String: Int] = [:]
    public private(set) var failuresByTypeAndMX: [FailureKey: Int] = [:]
    public private(set) var seenPolicies: [SeenPolicy] = []
    /// The last day each reported mode was seen.
    public private(set) var lastDayByReportedMode: [String: String] = [:]
    /// Whole days from the earliest report's start to the latest report's end.
    public private(set) var coveredDays = 0
    public private(set) var lastReportTime: Int?

    /// - Parameters:
    ///   - currentPolicyID: the id of the policy this host serves for the domain now, if any.
    ///   - served: the policies this host has served for the domain, oldest first.
    public init(domain: String, rows: [PolicyRow], currentPolicyID: String?, served: [ServedPolicy] = []) {
        self.domain = domain
        var reportKeys: Set<String> = []
        var organizations: Set<String> = []
        var byDay: [String: Day] = [:]
        var seen: [String: SeenPolicy] = [:]
        var earliest = Int.max, latest = Int.min
        for row in rows where row.domain == domain {
            reportKeys.insert(row.organization + "\u{0}" + row.reportID)
            organizations.insert(row.organization)
            successfulSessions += row.successfulSessions
            failedSessions += row.failedSessions
            let day = ReportTimestamp.day(row.startTime)
            byDay[day, default: Day(day: day)].successfulSessions += row.successfulSessions
            byDay[day, default: Day(day: day)].failedSessions += row.failedSessions
            for failure in row.failures {
                failuresByType[failure.resultType, default: 0] += failure.sessions
                failuresByTypeAndMX[FailureKey(resultType: failure.resultType, receivingMX: failure.receivingMX ?? "-"),
                                    default: 0] += failure.sessions
            }
            earliest = min(earliest, row.startTime)
            latest = max(latest, row.endTime)
            lastReportTime = max(lastReportTime ?? row.endTime, row.endTime)
            guard row.type == "sts" else { continue }
            let id = ReportedPolicy.id(of: row.policyString)
            let mode = row.reportedMode
            let key = id ?? "-" + row.policyString
            // `served` is in the order the ids were first served: the next one replaced this one.
            let history = served.lastIndex { $0.id == id }
            let replacedAt = history.flatMap { index in index + 1 < served.count ? served[index + 1].firstServed : nil }
            var entry = seen[key] ?? SeenPolicy(id: id, mode: mode, reports: 0, lastDay: day, lastReportStart: row.startTime,
                                                isCurrent: id != nil && id == currentPolicyID,
                                                wasServed: history != nil || (id != nil && id == currentPolicyID),
                                                replacedAt: id == currentPolicyID ? nil : replacedAt)
            entry.reports += 1
            entry.lastDay = max(entry.lastDay, day)
            entry.lastReportStart = max(entry.lastReportStart, row.startTime)
            seen[key] = entry
            if let mode { lastDayByReportedMode[mode] = max(lastDayByReportedMode[mode] ?? day, day) }
        }
        reports = reportKeys.count
        self.organizations = organizations.sorted()
        days = byDay.values.sorted { $0.day < $1.day }
        seenPolicies = seen.values.sorted { ($0.lastDay, $0.id ?? "") > ($1.lastDay, $1.id ?? "") }
        if earliest <= latest { coveredDays = (latest - earliest + 1) / 86400 }
    }
}
