import TLSRPT

/// The SQLite index of stored reports (DIR/index.sqlite3): per report its organization, id, date range and file;
/// per policy entry the domain, type, policy-string and session counts; per failure detail its type, MX and count.
/// Derived data: `ReportStore` rebuilds it from the files whenever they disagree.
final class ReportIndex {
    private let database: SQLiteDatabase

    init(path: String) throws {
        database = try SQLiteDatabase(path: path)
        // WAL: readers (`reports`) never block the writer. synchronous=NORMAL: the files are the durable record,
        // and the start-up reconciliation re-adds a report whose last index commit a power loss took.
        try database.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
        try database.execute("""
            CREATE TABLE IF NOT EXISTS reports(
                id INTEGER PRIMARY KEY, organization TEXT NOT NULL, report_id TEXT NOT NULL,
                start_time INTEGER NOT NULL, end_time INTEGER NOT NULL, received_at INTEGER NOT NULL,
                contact_info TEXT, file TEXT NOT NULL UNIQUE, UNIQUE(organization, report_id));
            CREATE TABLE IF NOT EXISTS policies(
                id INTEGER PRIMARY KEY, report INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
                domain TEXT NOT NULL, type TEXT NOT NULL, policy_string TEXT NOT NULL,
                successful_sessions INTEGER NOT NULL, failed_sessions INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS policies_by_domain ON policies(domain);
            CREATE INDEX IF NOT EXISTS policies_by_report ON policies(report);
            CREATE TABLE IF NOT EXISTS failures(
                policy INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
                result_type TEXT NOT NULL, receiving_mx TEXT, receiving_ip TEXT, sending_mta_ip TEXT,
                failure_reason_code TEXT, sessions INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS failures_by_policy ON failures(policy);
            CREATE TABLE IF NOT EXISTS served_policies(
                domain TEXT NOT NULL, id TEXT NOT NULL, mode TEXT NOT NULL,
                first_served INTEGER NOT NULL, last_served INTEGER NOT NULL, PRIMARY KEY(domain, id));
            """)
    }

    func contains(organization: String, reportID: String) throws -> Bool {
        let statement = try database.prepare("SELECT 1 FROM reports WHERE organization = ? AND report_id = ?")
        statement.bind([.text(organization), .text(reportID)])
        return try statement.step()
    }

    /// Adds a report and its rows in one transaction; false when the same organization and report-id is already
    /// there (nothing is added twice).
    @discardableResult
    func insert(_ report: TLSReport, file: String, receivedAt: Int) throws -> Bool {
        try database.transaction {
            if try contains(organization: report.organization, reportID: report.reportID) { return false }
            try database.prepare("""
                INSERT INTO reports(organization, report_id, start_time, end_time, received_at, contact_info, file)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """).run([.text(report.organization), .text(report.reportID), .int(report.startTime),
                          .int(report.endTime), .int(receivedAt), .optional(report.contactInfo), .text(file)])
            let reportRow = database.lastInsertedRow
            let policy = try database.prepare("""
                INSERT INTO policies(report, domain, type, policy_string, successful_sessions, failed_sessions)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
            let failure = try database.prepare("""
                INSERT INTO failures(policy, result_type, receiving_mx, receiving_ip, sending_mta_ip,
                                     failure_reason_code, sessions) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for entry in report.policies {
                try policy.run([.integer(reportRow), .text(entry.domain), .text(entry.type),
                                .text(entry.policyString.joined(separator: "\n")), .int(entry.successfulSessions),
                                .int(entry.failedSessions)])
                let policyRow = database.lastInsertedRow
                for detail in entry.failures {
                    try failure.run([.integer(policyRow), .text(detail.resultType), .optional(detail.receivingMXHostname),
                                     .optional(detail.receivingIP), .optional(detail.sendingMTAIP),
                                     .optional(detail.failureReasonCode), .int(detail.failedSessions)])
                }
            }
            return true
        }
    }

    /// The policy rows of reports whose range ends at or after `since`, for the given domains (all when empty).
    func rows(since: Int, domains: [String]) throws -> [PolicyRow] {
        var sql = """
            SELECT p.id, r.organization, r.report_id, r.start_time, r.end_time, p.domain, p.type, p.policy_string,
                   p.successful_sessions, p.failed_sessions
            FROM policies p JOIN reports r ON r.id = p.report WHERE r.end_time >= ?
            """
        if !domains.isEmpty { sql += " AND p.domain IN (" + domains.map { _ in "?" }.joined(separator: ",") + ")" }
        sql += " ORDER BY r.start_time, p.id"
        let statement = try database.prepare(sql)
        statement.bind([.int(since)] + domains.map { .text($0) })
        var rows: [(Int, PolicyRow)] = []
        while try statement.step() {
            rows.append((statement.integer(0), PolicyRow(
                organization: statement.text(1) ?? "", reportID: statement.text(2) ?? "",
                startTime: statement.integer(3), endTime: statement.integer(4), domain: statement.text(5) ?? "",
                type: statement.text(6) ?? "", policyString: statement.text(7) ?? "",
                successfulSessions: statement.integer(8), failedSessions: statement.integer(9), failures: [])))
        }
        let failures = try database.prepare("SELECT result_type, receiving_mx, sessions FROM failures WHERE policy = ?")
        return try rows.map { id, row in
            var row = row
            failures.bind([.int(id)])
            while try failures.step() {
                row.failures.append(PolicyRow.Failure(resultType: failures.text(0) ?? "", receivingMX: failures.text(1),
                                                      sessions: failures.integer(2)))
            }
            return row
        }
    }

    /// The file of every indexed report (relative to DIR).
    func files() throws -> Set<String> {
        let statement = try database.prepare("SELECT file FROM reports")
        var files: Set<String> = []
        while try statement.step() { if let file = statement.text(0) { files.insert(file) } }
        return files
    }

    func remove(file: String) throws {
        try database.prepare("DELETE FROM reports WHERE file = ?").run([.text(file)])
    }

    func removeAll() throws {
        try database.transaction { try database.execute("DELETE FROM failures; DELETE FROM policies; DELETE FROM reports;") }
    }

    /// Per policy domain, the latest report received: organization, report-id, end of its range, when received.
    func lastReports() throws -> [LastReport] {
        let statement = try database.prepare("""
            SELECT p.domain, r.organization, r.report_id, r.end_time, MAX(r.received_at)
            FROM policies p JOIN reports r ON r.id = p.report GROUP BY p.domain ORDER BY p.domain
            """)
        var reports: [LastReport] = []
        while try statement.step() {
            reports.append(LastReport(domain: statement.text(0) ?? "", organization: statement.text(1) ?? "",
                                      reportID: statement.text(2) ?? "", endTime: statement.integer(3),
                                      receivedAt: statement.integer(4)))
        }
        return reports
    }

    /// Notes that these policies are served at `time`: a new (domain, id) starts its history, a known one is
    /// extended.
    func recordServed(_ policies: [ServedPolicy], at time: Int) throws {
        try database.transaction {
            let statement = try database.prepare("""
                INSERT INTO served_policies(domain, id, mode, first_served, last_served) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(domain, id) DO UPDATE SET last_served = excluded.last_served
                """)
            for policy in policies {
                try statement.run([.text(policy.domain), .text(policy.id), .text(policy.mode), .int(time), .int(time)])
            }
        }
    }

    func servedPolicies(domain: String) throws -> [ServedPolicy] {
        let statement = try database.prepare(
            "SELECT domain, id, mode, first_served FROM served_policies WHERE domain = ? ORDER BY first_served, rowid")
        statement.bind([.text(domain)])
        var policies: [ServedPolicy] = []
        while try statement.step() {
            policies.append(ServedPolicy(domain: statement.text(0) ?? "", id: statement.text(1) ?? "",
                                         mode: statement.text(2) ?? "", firstServed: statement.integer(3)))
        }
        return policies
    }

    func reportCount() throws -> Int {
        let statement = try database.prepare("SELECT COUNT(*) FROM reports")
        _ = try statement.step()
        return statement.integer(0)
    }
}

/// The latest report about one domain (for /status).
public struct LastReport: Sendable, Equatable {
    public let domain: String
    public let organization: String
    public let reportID: String
    public let endTime: Int
    public let receivedAt: Int
}
