import MTASTS
import TLS

/// What `check --certs` adds: policies senders cannot fetch for want of a certificate, certificates that are
/// about to expire or would not load, and private keys other users can read.
public enum CertificateCoverage {
    /// Which certificate files serve each policy's `mta-sts.` host (empty when none does), by policy path.
    public static func servingFiles(policies: [LoadedPolicy], certificates: CertificateDirectory.LoadResult)
        -> [(policy: LoadedPolicy, host: String, files: [String])] {
        let index = CertificateIndex(pairs: certificates.pairs)
        return policies.map { policy in
            let host = Catalog.hostName(forDomain: policy.domain)
            return (policy, host, (index.pairs(forServerName: host) ?? []).map(\.certificatePath))
        }
    }

    public static func diagnostics(policies: [LoadedPolicy], certificates: CertificateDirectory.LoadResult,
                                   directory: String) -> [PolicyFileDiagnostic] {
        var found: [PolicyFileDiagnostic] = []
        let index = CertificateIndex(pairs: certificates.pairs)
        for policy in policies {
            let host = Catalog.hostName(forDomain: policy.domain)
            guard !index.covers(host) else { continue }
            found.append(PolicyFileDiagnostic(path: policy.path, diagnostic: Diagnostic(
                severity: .error, line: 0, column: 0,
                message: "no certificate in \(directory) covers \(host): senders cannot fetch this policy",
                fix: "add a certificate whose subjectAltName includes \(host) (or *.\(policy.domain))")))
        }
        // Expiring soon and incomplete chains: the pair serves, with a warning (an error with --strict).
        for warning in certificates.pairWarnings {
            found.append(PolicyFileDiagnostic(path: warning.certificatePath, diagnostic: Diagnostic(
                severity: .warning, line: 0, column: 0, message: warning.message)))
        }
        for keyPath in certificates.keysReadableByOthers {
            found.append(PolicyFileDiagnostic(path: keyPath, diagnostic: Diagnostic(
                severity: .warning, line: 0, column: 0, message: "private key is readable by other users",
                fix: "chmod 600 \(keyPath)")))
        }
        for rejected in certificates.rejectedPairs {
            found.append(PolicyFileDiagnostic(path: rejected.certificatePath, diagnostic: Diagnostic(
                severity: .error, line: 0, column: 0, message: "not used: " + rejected.message)))
        }
        let unreadable = (certificates.rootError.map { [$0] } ?? []) + certificates.unreadableDirectories
        for error in unreadable {
            found.append(PolicyFileDiagnostic(path: error.path ?? directory, diagnostic: Diagnostic(
                severity: .error, line: 0, column: 0, message: "\(error)")))
        }
        for link in certificates.symlinksNotFollowed {
            found.append(PolicyFileDiagnostic(path: directory, diagnostic: Diagnostic(
                severity: .warning, line: 0, column: 0, message: link)))
        }
        return found
    }
}
