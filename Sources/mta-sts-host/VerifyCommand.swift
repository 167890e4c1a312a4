import ArgumentParser
import Catalog
import DNSClient
import MTASTS
import Verify

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a live deployment as senders see it: DNS, the policy over HTTPS, and each MX's STARTTLS.",
        discussion: """
        For each domain: dns-txt (one valid v=STSv1 record at _mta-sts.<domain>), dns-id (its id is the local \
        policy's, as `dns` prints it), policy-fetch (https://mta-sts.<domain>/.well-known/mta-sts.txt fetched as \
        a strict sender does: trusted chain, name, TLS 1.2+, 200 text/plain, no redirect, 64 KiB, 4 s), \
        policy-syntax (valid, and the same as the local file), mx-coverage (every MX matched by a policy mx \
        entry; an entry no MX uses warns), mx-tls (per MX: STARTTLS, TLS 1.2+, trusted chain naming the host, \
        not expiring within 14 days) and tlsrpt (a v=TLSRPTv1 record; missing warns). Domains and MX hosts are \
        checked concurrently, each check with its own timeout.

        Exit status: 0 when no check fails (with --strict, when none warns either), 1 otherwise.

        Example:
          $ mta-sts-host verify example.com
          example.com: dns-txt _mta-sts.example.com: pass: one v=STSv1 record, id=e87fe8b627a1dcffb997
          example.com: mx-tls mx1.example.com: fail: TLSv1.3, the certificate expired on 2026-11-30 00:00:00 UTC: renew it
          ...
          verified 1 domain: 6 pass, 0 warn, 1 fail, 0 skip
        """)

    @Option(help: ArgumentHelp("Directory of <domain>.txt policy files: the local policies (and, without DOMAIN, the domains).", valueName: "dir"))
    var policies = "policies"

    @OptionGroup var reach: VerifyReachOptions

    @Option(help: "Seconds each check may take (a DNS query, a connect, each SMTP step, a handshake); the policy fetch takes at most 4.")
    var timeout = 10

    @Option(help: "Output: text (one line per check and a summary) or json (one object, for automation).")
    var format: CheckFormat = .text

    @Flag(help: "Warnings fail too: exit status 1 when any check warns.")
    var strict = false

    @Argument(help: ArgumentHelp("Mail domains to check (default: every valid policy in --policies).", valueName: "domain"))
    var domains: [String] = []

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be at least 1 second") }
        try reach.validate()
    }

    func run() throws {
        let targets = try selectDomains()
        guard !targets.isEmpty else {
            StandardError.print("error: no domains: name some, or put policies in \(policies)")
            throw ExitCode(2)
        }
        let verifier: Verifier
        do {
            verifier = try Verifier(settings: reach.settings(timeoutSeconds: timeout))
        } catch {
            StandardError.print("error: \(error)")
            throw ExitCode(2)
        }
        let results = verifier.verify(targets)
        switch format {
        case .text: print(VerificationOutput.text(results), terminator: "")
        case .json: print(VerificationOutput.json(results).rendered())
        }
        if results.contains(where: { $0.fails(strict: strict) }) { throw ExitCode(1) }
    }

    /// The named domains with their local policy when there is one; without names, every valid local policy.
    private func selectDomains() throws -> [(domain: String, local: LocalPolicy?)] {
        let loaded: [LoadedPolicy]
        if domains.isEmpty {
            let report = try PolicyDirectory.load(directory: policies)
            for file in report.rejectedFiles {
                StandardError.print("warning: skipped \(file): it has errors (run mta-sts-host check)")
            }
            loaded = report.policies
        } else {
            loaded = (try? PolicyDirectory.load(directory: policies))?.policies ?? []
        }
        let local = Dictionary(loaded.map { ($0.domain, LocalPolicy(id: $0.id, canonical: $0.canonical)) },
                               uniquingKeysWith: { first, _ in first })
        let names = domains.isEmpty ? loaded.map(\.domain) : domains.map(MXHostMatch.normalized)
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }.map { ($0, local[$0]) }
    }
}

/// Where `verify` (and `serve --verify-every`) find the deployment; the resolver is `--resolver`, shared with ACME.
struct VerifyReachOptions: ParsableArguments {
    @Option(help: ArgumentHelp("DNS server for every lookup, ADDR[:PORT] (default: /etc/resolv.conf).", valueName: "addr"))
    var resolver: String?

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("PEM certificates to trust instead of the system's (tests, private CAs).", valueName: "pem"))
    var caFile: String?

    @Option(help: "Port of the policy hosts.")
    var httpsPort: UInt16 = 443

    @Option(help: "Port of the MX hosts.")
    var smtpPort: UInt16 = 25

    func validate() throws {
        if let resolver {
            do { _ = try DNSResolver(server: resolver) } catch { throw ValidationError("--resolver \(error)") }
        }
    }

    func settings(timeoutSeconds: Int) -> VerifySettings {
        VerifySettings(resolver: resolver, trustFile: caFile, httpsPort: httpsPort, smtpPort: smtpPort,
                       timeoutSeconds: timeoutSeconds)
    }
}
