import ArgumentParser
import Catalog
import Glibc
import MTASTS
import ReportStore
import TLSRPT

struct ReportsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports",
        abstract: "Summarise the TLS-RPT reports `serve --reports` received, per domain, with a rollout verdict.",
        discussion: """
        Per domain: the reporting organizations, sessions per day, failures by result type and receiving MX \
        (each type with what it means and what fixes it), the policies senders say they applied (by id: a \
        report quoting an id other than the served one days after a change means the _mta-sts id was not \
        bumped or senders still cache the old policy), and a verdict. For a domain in mode testing: \
        ready-to-enforce after --required-days of reports from --required-organizations organizations with no \
        failure that enforce would turn into a bounce; else what blocks it. For enforce: failures as alerts. \
        For none: whether senders still report a policy in force.
        """)

    @Option(help: ArgumentHelp("The directory given to serve --reports.", valueName: "dir"))
    var reports = "reports"

    @Option(help: ArgumentHelp("Directory of <domain>.txt policy files (what is served: mode and id).", valueName: "dir"))
    var policies = "policies"

    @Option(help: "Only reports whose range ends in the last DAYS days.")
    var since = 42

    @Option(help: "text or json.")
    var format: ReportsFormat = .text

    @Option(help: "Days of reports needed before ready-to-enforce.")
    var requiredDays = RolloutVerdict.Settings().requiredDays

    @Option(help: "Reporting organizations needed before ready-to-enforce.")
    var requiredOrganizations = RolloutVerdict.Settings().requiredOrganizations

    @Flag(help: "Rebuild the index (DIR/index.sqlite3) from the report files, then summarise.")
    var reindex = false

    @Argument(help: ArgumentHelp("Mail domains (default: every domain served or reported).", valueName: "domain"))
    var domains: [String] = []

    func validate() throws {
        if since < 1 { throw ValidationError("--since must be at least 1") }
    }

    func run() throws {
        let store: ReportStore
        do {
            store = try ReportStore(directory: reports)
        } catch {
            StandardError.print("error: cannot open \(reports): \(error)")
            throw ExitCode(1)
        }
        if reindex {
            let result = try store.reconcile(rebuild: true)
            StandardError.print("reindexed \(reports): \(result.added) reports"
                + (result.unreadable.isEmpty ? "" : "; not reports: \(result.unreadable.joined(separator: ", "))"))
        }
        // Without a readable policies directory the summaries still print, with the mode unknown.
        let loaded = (try? PolicyDirectory.load(directory: policies))?.policies ?? []
        let served = Dictionary(loaded.map { ($0.domain, $0) }, uniquingKeysWith: { first, _ in first })
        let wanted = domains.map { name in
            var domain = name.lowercased()
            while domain.hasSuffix(".") { domain.removeLast() }
            return domain
        }
        let rows = try store.rows(since: Int(time(nil)) - since * 86400, domains: wanted)
        let names = wanted.isEmpty ? Set(rows.map(\.domain)).union(served.keys).sorted() : wanted
        let settings = RolloutVerdict.Settings(requiredDays: requiredDays, requiredOrganizations: requiredOrganizations)
        let summaries = names.map { domain in
            let policy = served[domain]
            let summary = DomainSummary(domain: domain, rows: rows, currentPolicyID: policy?.id,
                                        served: (try? store.servedPolicies(domain: domain)) ?? [])
            return ReportsOutput.Domain(summary: summary, mode: policy?.policy.mode.rawValue, policyID: policy?.id,
                                        verdict: RolloutVerdict.decide(summary, mode: policy?.policy.mode.rawValue,
                                                                       settings: settings))
        }
        switch format {
        case .text: print(ReportsOutput.text(summaries, since: since), terminator: "")
        case .json: print(ReportsOutput.json(summaries))
        }
    }
}

enum ReportsFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
