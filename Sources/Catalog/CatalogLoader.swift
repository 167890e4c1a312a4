import Dispatch
import Glibc
import MTASTS
import TLS
import Reactor

/// Builds a catalog from the policy and certificate directories. Runs off the event loops: it reads files.
public enum CatalogLoader {
    public struct Report: Sendable {
        public var policyDiagnostics: [PolicyFileDiagnostic] = []
        public var rejectedPolicyFiles: [String] = []
        public var certificateProblems: [String] = []
        public var certificateWarnings: [String] = []
        /// Domains whose policy is still the previous one because the new file was rejected.
        public var keptPrevious: [String] = []
        /// Certificate files whose new content was rejected while the previous pair stays in service.
        public var keptPreviousCertificates: [String] = []
        /// Certificate pairs parsed afresh; unchanged files are reused.
        public var certificatesParsed = 0
        /// Changed certificate pairs left for the next pass (see `ServerConfiguration.reloadCertificateBatch`).
        public var certificatesDeferred = 0
        /// Certificate pairs read afresh in this pass.
        public var certificatesAttempted: [CertificateDirectory.Candidate] = []
        /// `full`, or `policies` for a targeted reload of the files named by file events.
        public var scope = "full"
        /// Sources that could not be read, whose last good version keeps serving (an unreadable certificate
        /// directory): the load is partial, and `status --check` fails until they are readable again.
        public var problems: [String] = []
        /// Certificate files of the pairs that failed to load in this pass (expired, mismatched, unusable).
        public var rejectedCertificates: [String] = []
        /// `<link>: directory symlink leaves <root>; not followed`, for each such link met by the walk.
        public var symlinksNotFollowed: [String] = []

        public var hasProblems: Bool {
            !rejectedPolicyFiles.isEmpty || !certificateProblems.isEmpty || !problems.isEmpty
        }
    }

    /// Loads everything; with a previous catalog, a domain whose file became invalid keeps its last good policy,
    /// and changed certificates are parsed a batch at a time (those in `attemptedBefore` last).
    /// Policy files in `beingWritten` (their writer has not closed them yet) keep their previous version.
    public static func load(_ configuration: ServerConfiguration, previous: Catalog? = nil,
                            attemptedBefore: Set<CertificateDirectory.Candidate> = [],
                            beingWritten: Set<String> = []) throws -> (Catalog, Report) {
        var report = Report()
        // Certificates (the slow part: OpenSSL parsing, on every CPU) load while the policies are read here.
        let certificateLoad = DispatchGroup()
        let certificateResult = ResultBox<CertificateDirectory.LoadResult>()
        let previousPairs = CertificateDirectory.PreviousPairs(previous?.certificates.pairs ?? [])
        // At start-up there is no old set to keep alive beside the new one: everything loads in one pass.
        let batch = configuration.reloadCertificateBatch
        let parseLimit = previous != nil && batch > 0 ? batch : nil
        DispatchQueue.global().async(group: certificateLoad) {
            certificateResult.value = CertificateDirectory.load(directory: configuration.certificatesDirectory,
                                                                previous: previousPairs, parseLimit: parseLimit,
                                                                attemptedBefore: attemptedBefore,
                                                                excluding: configuration.excludedPaths)
        }
        defer { certificateLoad.wait() }
        let reusable = Dictionary((previous?.policies.values).map { $0.map { ($0.path, $0) } } ?? [],
                                  uniquingKeysWith: { first, _ in first })
        let directory = try PolicyDirectory.load(directory: configuration.policiesDirectory, previous: reusable,
                                                 deferring: beingWritten)
        report.policyDiagnostics = directory.diagnostics
        report.rejectedPolicyFiles = directory.rejectedFiles
        var policies = directory.policies
        if let previous {
            var served = Set(policies.map(\.domain))
            let rejectedPaths = Set(directory.rejectedFiles)
            // readdir may miss a name that is being renamed over at that instant: a file that still exists keeps
            // its policy (the rename's own inotify event brings the next reload).
            for (domain, lastGood) in previous.policies where !served.contains(domain) && access(lastGood.path, F_OK) == 0 {
                if rejectedPaths.contains(lastGood.path) { continue }
                policies.append(lastGood)
                served.insert(domain)
            }
            for file in directory.rejectedFiles {
                guard let domain = domainOfPolicyFile(file), !served.contains(domain),
                      let lastGood = previous.policies[domain] else { continue }
                policies.append(lastGood)
                report.keptPrevious.append(domain)
            }
        }
        certificateLoad.wait()
        let certificates = certificateResult.value!
        // An unlisted root is one problem of the load (below), not a problem of some certificate.
        report.certificateProblems = certificates.rootError == nil ? certificates.problems : []
        report.certificateWarnings = certificates.warnings
        report.keptPreviousCertificates = certificates.keptPrevious
        report.certificatesParsed = certificates.parsedCount
        report.certificatesDeferred = certificates.deferredCount
        report.certificatesAttempted = certificates.attempted
        report.rejectedCertificates = certificates.rejectedPairs.map(\.certificatePath)
        report.symlinksNotFollowed = certificates.symlinksNotFollowed
        let pairs = keepingUnreadable(certificates, previous: previous?.certificates.pairs ?? [],
                                      root: configuration.certificatesDirectory, report: &report)
        let catalog = Catalog(policies: policies, certificates: CertificateIndex(pairs: pairs),
                              defaultHost: configuration.defaultHost)
        return (catalog, report)
    }

    /// A certificate directory that cannot be listed (renamed, removed, permissions) says nothing about the
    /// certificates it held: the pairs last loaded from it keep serving. Only a readable directory without a
    /// pair is the operator removing them.
    static func keepingUnreadable(_ loaded: CertificateDirectory.LoadResult, previous: [CertificateKeyPair], root: String,
                                  report: inout Report) -> [CertificateKeyPair] {
        if let rootError = loaded.rootError {
            report.problems.append("cannot read certificate directory \(root): \(String(cString: strerror(rootError.errno))); "
                + "keeping \(previous.count) certificates from the last good load")
            return previous
        }
        var pairs = loaded.pairs
        for unreadable in loaded.unreadableDirectories {
            let prefix = unreadable.path.hasSuffix("/") ? unreadable.path : unreadable.path + "/"
            let kept = previous.filter { $0.certificatePath.hasPrefix(prefix) }
            report.problems.append("\(unreadable); keeping \(kept.count) certificates from the last good load")
            pairs += kept
        }
        return pairs
    }

    /// A targeted reload after file events that touched policy files only: those files (and every alias, whose
    /// target may be one of them) are read again, everything else is kept as it is. A file that became invalid
    /// keeps its last good policy; a file that is gone stops being served.
    public static func reloadPolicies(named changedNames: [String], directory: String, previous: Catalog,
                                      previousReport: Report) -> (Catalog, Report) {
        var names = Set(changedNames)
        for policy in previous.policies.values where policy.isAlias {
            names.insert(String(policy.path.split(separator: "/").last ?? ""))
        }
        let loaded = PolicyDirectory.load(directory: directory, names: Array(names))
        let paths = Set(names.map { joinPath(directory, $0) })
        var report = previousReport
        report.policyDiagnostics.removeAll { paths.contains($0.path) }
        report.policyDiagnostics += loaded.diagnostics
        report.rejectedPolicyFiles.removeAll { paths.contains($0) }
        report.rejectedPolicyFiles += loaded.rejectedFiles
        report.certificatesParsed = 0
        report.certificatesDeferred = 0
        report.certificatesAttempted = []
        report.keptPreviousCertificates = []
        report.scope = "policies"

        let valid = Dictionary(loaded.policies.map { ($0.domain, $0) }, uniquingKeysWith: { first, _ in first })
        let rejected = Set(loaded.rejectedFiles.compactMap(domainOfPolicyFile))
        var changes: [String: LoadedPolicy?] = [:]
        report.keptPrevious.removeAll { names.contains($0 + ".txt") }
        for name in names {
            guard case .policy(let domain) = PolicyDirectory.classify(name) else { continue }
            if let policy = valid[domain] {
                changes[domain] = policy
            } else if rejected.contains(domain) {
                if previous.policies[domain] != nil { report.keptPrevious.append(domain) }
            } else if previous.policies[domain] != nil {
                changes[domain] = .some(nil)
            }
        }
        return (previous.updating(changes), report)
    }

    /// `policies/example.com.txt` → `example.com`.
    static func domainOfPolicyFile(_ path: String) -> String? {
        guard path.hasSuffix(".txt") else { return nil }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return String(name.dropLast(4))
    }
}

/// Hands a value from a Dispatch block back to the thread that waited for it.
private final class ResultBox<Value>: @unchecked Sendable {
    var value: Value?
}
