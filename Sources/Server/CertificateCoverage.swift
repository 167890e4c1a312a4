import MTASTS
import TLS

/// What `check --certs` adds: policies senders cannot fetch for want of a certificate, certificates that are
/// about to expire or would not load, and private keys other users can read.
public enum CertificateCoverage {
    /// Certificates expiring within this many days are reported (certbot renews at 30 days left).
    public static let expiryWarningDays = 14

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
                                   directory: String, now: Int) -> [PolicyFileDiagnostic] {
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
        for pair in certificates.pairs {
            let days = (pair.notAfter - now) / 86400
            if pair.notAfter <= now {
                found.append(PolicyFileDiagnostic(path: pair.certificatePath, diagnostic: Diagnostic(
                    severity: .error, line: 0, column: 0, message: "certificate expired \(-days) days ago",
                    fix: "renew it (certbot renew, or your ACME client)")))
            } else if days < expiryWarningDays {
                found.append(PolicyFileDiagnostic(path: pair.certificatePath, diagnostic: Diagnostic(
                    severity: .warning, line: 0, column: 0, message: "certificate expires in \(days) days",
                    fix: "check that its renewal runs")))
            }
        }
        for keyPath in certificates.keysReadableByOthers {
            found.append(PolicyFileDiagnostic(path: keyPath, diagnostic: Diagnostic(
                severity: .warning, line: 0, column: 0, message: "private key is readable by other users",
                fix: "chmod 600 \(keyPath)")))
        }
        for problem in certificates.problems {
            found.append(PolicyFileDiagnostic(path: directory, diagnostic: Diagnostic(
                severity: .error, line: 0, column: 0, message: problem)))
        }
        return found
    }
}
