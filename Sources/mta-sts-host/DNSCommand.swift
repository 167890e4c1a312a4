import ArgumentParser
import MTASTS
import Server
import Reactor

struct DNSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Print the DNS records to publish for each valid policy: the _mta-sts TXT record with its id.",
        discussion: """
        The id is derived from the policy's canonical content, so it changes exactly when the policy does: \
        after editing a policy, publish the new TXT record (senders refetch the policy when the id changes). \
        mta-sts.<domain> must also resolve to this server. Without DOMAIN arguments, every valid policy is \
        printed; a named domain without a valid policy is an error (exit status 1).

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

    @Argument(help: ArgumentHelp("Mail domains to print (default: all with a valid policy).", valueName: "domain"))
    var domains: [String] = []

    func run() throws {
        let report = try PolicyDirectory.load(directory: policies)
        let selected = try select(from: report)
        let records = selected.map { DNSRecords(domain: $0.domain, id: $0.id, ttl: ttl) }
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
    }

    /// All valid policies, or the named ones; an unknown name fails the whole command before any output.
    private func select(from report: PolicyDirectoryReport) throws -> [LoadedPolicy] {
        if domains.isEmpty {
            for file in report.rejectedFiles {
                StandardError.print("warning: skipped \(file): it has errors (run mta-sts-host check)")
            }
            return report.policies
        }
        let byDomain = Dictionary(report.policies.map { ($0.domain, $0) }, uniquingKeysWith: { first, _ in first })
        var selected: [LoadedPolicy] = []
        var missing = false
        for name in domains {
            var domain = name.lowercased()
            while domain.hasSuffix(".") { domain.removeLast() }
            if let loaded = byDomain[domain] {
                selected.append(loaded)
                continue
            }
            missing = true
            let path = joinPath(policies, domain + ".txt")
            let reason = report.rejectedFiles.contains(path)
                ? "\(path) has errors (run mta-sts-host check)" : "there is no \(path)"
            StandardError.print("error: no valid policy for \(name): \(reason)")
        }
        if missing { throw ExitCode(1) }
        return selected
    }
}

enum DNSFormat: String, ExpressibleByArgument, CaseIterable {
    case zone, json
}
