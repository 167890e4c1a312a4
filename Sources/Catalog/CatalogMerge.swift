import FileSystem
import Glibc
import MTASTS
import TLS

/// Keep-the-last-good, as one pure function: the previous catalog, what a pass scanned and where a chain of
/// certificate batches stands in, the catalog to serve, its report and the follow-up pass (if any) out. No I/O:
/// `CatalogLoader.scan` has read everything it needs.
///
/// The rules: a policy file that became invalid keeps its previous policy; one that is still there but was not read
/// (being written, or missed by readdir during a rename over it) keeps its previous policy; one that is gone stops
/// being served. A certificate directory that cannot be listed keeps every pair it last produced, and the load is
/// partial. (A certificate pair that fails keeps its previous pair inside `CertificateDirectory.load`.)
public enum CatalogMerge {
    /// Where a chain of certificate passes stands: the pairs its earlier passes read already, so each pass reads
    /// pairs not read before in the chain (a failing pair cannot stall it) and the chain ends.
    public struct Batch: Sendable, Equatable {
        public var attempted: Set<CertificateDirectory.Candidate>

        public init(attempted: Set<CertificateDirectory.Candidate> = []) {
            self.attempted = attempted
        }
    }

    public struct Result: Sendable {
        public let catalog: Catalog
        public let report: CatalogLoader.Report
        /// The next pass of the chain, when changed certificates were left for it and this pass made progress.
        public let nextBatch: Batch?
    }

    /// - Parameters:
    ///   - previous: the catalog being served; nil at start-up.
    ///   - previousReport: its report (a targeted reload updates it rather than starting afresh).
    ///   - batch: the chain this pass belongs to (`Batch()` for a pass that starts one).
    public static func merge(previous: Catalog?, previousReport: CatalogLoader.Report, scanned: CatalogScan,
                             batch: Batch, sources: CatalogSources) -> Result {
        switch scanned {
        case .everything(let policies, let certificates, let present):
            let (catalog, report) = mergeEverything(previous: previous, policies: policies, certificates: certificates,
                                                    present: present, sources: sources)
            let attempted = batch.attempted.union(report.certificatesAttempted)
            let progressed = attempted.count > batch.attempted.count
            return Result(catalog: catalog, report: report,
                          nextBatch: report.certificatesDeferred > 0 && progressed ? Batch(attempted: attempted) : nil)
        case .policyFiles(let names, let loaded):
            let previous = previous ?? Catalog(policies: [], certificates: CertificateIndex(pairs: []),
                                               defaultHost: sources.defaultHost)
            let (catalog, report) = mergePolicyFiles(previous: previous, previousReport: previousReport, names: names,
                                                     loaded: loaded, directory: sources.policiesDirectory)
            return Result(catalog: catalog, report: report, nextBatch: nil)
        }
    }

    private static func mergeEverything(previous: Catalog?, policies directory: PolicyDirectoryReport,
                                        certificates: CertificateDirectory.LoadResult, present: Set<String>,
                                        sources: CatalogSources) -> (Catalog, CatalogLoader.Report) {
        var report = CatalogLoader.Report()
        report.policyDiagnostics = directory.diagnostics
        report.rejectedPolicyFiles = directory.rejectedFiles
        var policies = directory.policies
        if let previous {
            var served = Set(policies.map(\.domain))
            let rejectedPaths = Set(directory.rejectedFiles)
            // Still there but not read (being written, or renamed over during the listing): the next event reads it.
            for (domain, lastGood) in previous.policies.sorted(by: { $0.key < $1.key })
            where !served.contains(domain) && present.contains(lastGood.path) && !rejectedPaths.contains(lastGood.path) {
                policies.append(lastGood)
                served.insert(domain)
            }
            // Invalid now: the last good policy serves until the file is fixed.
            for file in directory.rejectedFiles {
                guard let domain = PolicyFileName.domain(ofPath: file), !served.contains(domain),
                      let lastGood = previous.policies[domain] else { continue }
                policies.append(lastGood)
                served.insert(domain)
                report.keptPrevious.append(domain)
            }
        }
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
                                      root: sources.certificatesDirectory, report: &report)
        let index = CertificateIndex(pairs: pairs, issuedDirectory: sources.issuedCertificatesDirectory)
        let catalog = Catalog(policies: policies, certificates: index,
                              defaultHost: sources.defaultHost)
        return (catalog, report)
    }

    /// A certificate directory that cannot be listed (renamed, removed, permissions) says nothing about the
    /// certificates it held: the pairs last loaded from it keep serving. Only a readable directory without a
    /// pair is the operator removing them.
    static func keepingUnreadable(_ loaded: CertificateDirectory.LoadResult, previous: [CertificateKeyPair], root: String,
                                  report: inout CatalogLoader.Report) -> [CertificateKeyPair] {
        if let rootError = loaded.rootError {
            report.problems.append("cannot read certificate directory \(root): \(rootError.reason); "
                + "keeping \(previous.count) certificates from the last good load")
            return previous
        }
        var pairs = loaded.pairs
        for unreadable in loaded.unreadableDirectories {
            let path = unreadable.path ?? ""
            let prefix = path.hasSuffix("/") ? path : path + "/"
            let kept = previous.filter { $0.certificatePath.hasPrefix(prefix) }
            report.problems.append("\(unreadable); keeping \(kept.count) certificates from the last good load")
            pairs += kept
        }
        return pairs
    }

    /// A targeted reload: the named files (and aliases) were read again, everything else is kept as it is. A file
    /// that became invalid keeps its last good policy; a file that is gone stops being served.
    private static func mergePolicyFiles(previous: Catalog, previousReport: CatalogLoader.Report, names: Set<String>,
                                         loaded: PolicyDirectoryReport, directory: String) -> (Catalog, CatalogLoader.Report) {
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
        let rejected = Set(loaded.rejectedFiles.compactMap(PolicyFileName.domain(ofPath:)))
        var changes: [String: LoadedPolicy?] = [:]
        report.keptPrevious.removeAll { names.contains(PolicyFileName.fileName(forDomain: $0)) }
        for name in names.sorted() {
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
}
