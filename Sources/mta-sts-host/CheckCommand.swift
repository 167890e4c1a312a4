import ArgumentParser
import Catalog
import Glibc
import MTASTS
import TLS

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate every policy file in --policies, like a compiler: file:line:col diagnostics and a fix.",
        discussion: """
        Each policies/<domain>.txt must be a valid RFC 8461 policy and its file name a lower-case A-label \
        domain. Errors reject a file (the server would not serve it); warnings are advice (a short max_age, an \
        unknown key, a duplicate mx). Symlinked aliases are checked as the domain they are named for.

        Exit status: 0 when there is no error, 1 otherwise (with --strict, warnings count as errors).

        Example:
          $ mta-sts-host check
          policies/example.org.txt:3:5: error: mx "*" is a bare wildcard
            fix: write "*." and a domain, e.g. "mx: *.mx.example.net"
          checked 2 policies: 1 valid, 1 rejected, 1 error, 0 warnings
        """)

    @Option(help: ArgumentHelp("Directory of <domain>.txt policy files.", valueName: "dir"))
    var policies = "policies"

    @Option(help: ArgumentHelp("Also check certificates: every policy's mta-sts.<domain> covered, none expiring within 14 days.", valueName: "dir"))
    var certs: String?

    @Flag(help: "Treat warnings as errors: a policy with a warning is rejected and the exit status is 1.")
    var strict = false

    @Option(help: "Output: text (compiler-style lines and a summary) or json (one object, for automation).")
    var format: CheckFormat = .text

    func run() throws {
        var report = try PolicyDirectory.load(directory: policies)
        let coverage = addChecks(to: &report)
        if strict {
            report = report.promotingWarnings()
        }
        switch format {
        case .text: print(CheckOutput.text(report, coverage: coverage), terminator: "")
        case .json: print(CheckOutput.json(report, directory: policies, strict: strict, coverage: coverage).rendered())
        }
        if report.errorCount > 0 {
            throw ExitCode(1)
        }
    }

    /// Checks beyond the policy files themselves, before --strict and the output see the report; returns which
    /// certificate files serve each policy (nil without --certs).
    func addChecks(to report: inout PolicyDirectoryReport) -> [CheckOutput.Coverage]? {
        guard let certs else { return nil }
        let certificates = CertificateDirectory.load(directory: certs)
        for item in CertificateCoverage.diagnostics(policies: report.policies, certificates: certificates,
                                                    directory: certs) {
            report.add(item.diagnostic, path: item.path)
        }
        return CertificateCoverage.servingFiles(policies: report.policies, certificates: certificates).map {
            CheckOutput.Coverage(domain: $0.policy.domain, path: $0.policy.path, host: $0.host, files: $0.files)
        }
    }
}

enum CheckFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
