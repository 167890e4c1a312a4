import ArgumentParser
import Catalog
import DNSClient
import DNSPublication
import FileSystem
import MTASTS

struct DNSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Print the DNS records to publish for each valid policy: the _mta-sts TXT record with its id.",
        discussion: """
        The id is derived from the policy's canonical content, so it changes exactly when the policy does: \
        after editing a policy, publish the new TXT record (senders refetch the policy when the id changes). \
        mta-sts.<domain> must also resolve to this server. Without DOMAIN arguments, every valid policy is \
        printed. A policy file with errors, or a named domain without a valid policy, makes the exit status 1; \
        the records of the valid ones are printed all the same.

        Example:
          $ mta-sts-host dns example.com
          ; example.com: policies/example.com.txt (mode testing, max_age 604800)
          ; mta-sts.example.com must resolve to this host (A/AAAA, or a CNAME to it).
          _mta-sts.example.com. 3600 IN TXT "v=STSv1; id=e87fe8b627a1dcffb997"
          ; ... and a suggested TLS-RPT record (RFC 8460), commented out
        """)

    @Option(help: ArgumentHelp("Directory of <domain>.txt policy files.", valueName: "dir"))
    var policies = "policies"

    @Option(help: "Output: zone (zone-file lines with comments) or json (an array of records, for DNS APIs).")
    var format: DNSFormat = .zone

    @Option(help: "TTL of the records, in seconds.")
    var ttl = 3600

    @Flag(help: "The server runs with serve --reports: print the _smtp._tls record with rua=https://mta-sts.<domain>/tlsrpt (the mailto form stays as a comment).")
    var reports = false

    @OptionGroup(title: "Publishing the records (RFC 2136 dynamic update), for CI of a policy repository")
    var dnsUpdate: DNSUpdateOptions

    @Flag(help: "With --dns-update: print each UPDATE instead of sending it (the current records are still read from the server).")
    var dryRun = false

    @Argument(help: ArgumentHelp("Mail domains to print (default: all with a valid policy).", valueName: "domain"))
    var domains: [String] = []

    /// Prints the records of every valid selected policy, then fails if any policy was bad or missing: the good
    /// ones can be published while the bad one is fixed, and scripts still see that something is wrong.
    func run() throws {
        let report = try PolicyDirectory.load(directory: policies)
        let (selected, complete) = select(from: report)
        let records = selected.map { DNSRecords(domain: $0.domain, id: $0.id, ttl: ttl, receivesReports: reports) }
        if let settings = try dnsUpdate.settings(warn: { StandardError.print("warning: \($0)") }) {
            let published = publish(selected, settings: settings)
            if !complete || !published { throw ExitCode(1) }
            return
        }
        switch format {
        case .zone:
            let blocks = zip(selected, records).map { loaded, record in
                "; \(loaded.domain): \(loaded.path) (mode \(loaded.policy.mode.rawValue), "
                    + "max_age \(loaded.policy.maxAge))\n" + record.zoneText
            }
            print(blocks.isEmpty ? "; no valid policies in \(policies)" : blocks.joined(separator: "\n"),
                  terminator: blocks.isEmpty ? "\n" : "")
        case .json:
            print(records.isEmpty ? "[]" : "[\n  " + records.map(\.json).joined(separator: ",\n  ") + "\n]")
        }
        if !complete { throw ExitCode(1) }
    }

    /// One update per domain, in order; a line for each on stdout. False when any failed.
    private func publish(_ selected: [LoadedPolicy], settings: PublicationSettings) -> Bool {
        let publisher = RecordPublisher(settings: settings)
        var succeeded = true
        for loaded in selected {
            let name = settings.recordName(for: loaded.domain)
            switch publisher.publish(domain: loaded.domain, id: loaded.id, dryRun: dryRun) {
            case .success(.unchanged): print("\(name): already id=\(loaded.id)")
            case .success(.added): print("\(name): published id=\(loaded.id)")
            case .success(.replaced(let count)): print("\(name): published id=\(loaded.id), replacing \(count) v=STSv1 record\(count == 1 ? "" : "s")")
            case .success(.wouldSend(let update)): print("; \(name): would send\n\(update)")
            case .failure(let error):
                StandardError.print("error: \(name): \(error)")
                succeeded = false
            }
        }
        return succeeded
    }

    /// All valid policies, or the named ones that have one; `complete` is false when a policy file was rejected
    /// (all) or a named domain has no valid policy.
    private func select(from report: PolicyDirectoryReport) -> (selected: [LoadedPolicy], complete: Bool) {
        if domains.isEmpty {
            for file in report.rejectedFiles {
                StandardError.print("error: skipped \(file): it has errors (run mta-sts-host check)")
            }
            return (report.policies, report.rejectedFiles.isEmpty)
        }
        let byDomain = Dictionary(report.policies.map { ($0.domain, $0) }, uniquingKeysWith: { first, _ in first })
        var selected: [LoadedPolicy] = []
        var complete = true
        for name in domains {
            var domain = name.lowercased()
            while domain.hasSuffix(".") { domain.removeLast() }
            if let loaded = byDomain[domain] {
                selected.append(loaded)
                continue
            }
            complete = false
            let path = joinPath(policies, PolicyFileName.fileName(forDomain: domain))
            let reason = report.rejectedFiles.contains(path)
                ? "\(path) has errors (run mta-sts-host check)" : "there is no \(path)"
            StandardError.print("error: no valid policy for \(name): \(reason)")
        }
        return (selected, complete)
    }
}

enum DNSFormat: String, ExpressibleByArgument, CaseIterable {
    case zone, json
}
