import Dispatch
import FileSystem
import Glibc
import MTASTS
import TLS

/// Reads the policy and certificate directories (`scan`) for `CatalogMerge`, and the report of a load. Runs off
/// the event loops: it reads files.
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
        /// Changed certificate pairs left for the next pass (see `CatalogSources.reloadCertificateBatch`).
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

        public init() {}

        public var hasProblems: Bool {
            !rejectedPolicyFiles.isEmpty || !certificateProblems.isEmpty || !problems.isEmpty
        }
    }

    /// What a pass reads: everything, or only some policy files (after file events that touched nothing else).
    public enum Scope: Sendable, Equatable {
        case everything
        case policyFiles([String])
    }

    /// Loads everything, as at start-up: `scan` then `CatalogMerge.merge` with no previous catalog.
    public static func load(_ sources: CatalogSources) throws -> (Catalog, Report) {
        let scanned = try scan(.everything, sources: sources, previous: nil)
        let merged = CatalogMerge.merge(previous: nil, previousReport: Report(), scanned: scanned,
                                        batch: CatalogMerge.Batch(), sources: sources)
        return (merged.catalog, merged.report)
    }

    /// Reads what `scope` names; deciding what serves is `CatalogMerge.merge`'s. With a previous catalog, unchanged
    /// files are reused without being parsed, and changed certificates are parsed a batch at a time (those the
    /// chain in `batch` read already last). Policy files in `beingWritten` (their writer has not closed them yet)
    /// are not read. Throws only when the policy directory cannot be listed in a full pass.
    public static func scan(_ scope: Scope, sources: CatalogSources, previous: Catalog?,
                            batch: CatalogMerge.Batch = CatalogMerge.Batch(),
                            beingWritten: Set<String> = []) throws -> CatalogScan {
        if case .policyFiles(let changed) = scope {
            let names = CatalogScan.policyFileNames(changed: changed, previous: previous)
            let loaded = PolicyDirectory.load(directory: sources.policiesDirectory, names: names.sorted())
            return .policyFiles(names: names, loaded: loaded)
        }
        // Certificates (the slow part: OpenSSL parsing, on every CPU) load while the policies are read here.
        let certificateLoad = DispatchGroup()
        let certificateResult = ResultBox<CertificateDirectory.LoadResult>()
        let previousPairs = CertificateDirectory.PreviousPairs(previous?.certificates.pairs ?? [])
        // At start-up there is no old set to keep alive beside the new one: everything loads in one pass.
        let limit = sources.reloadCertificateBatch
        let parseLimit = previous != nil && limit > 0 ? limit : nil
        DispatchQueue.global().async(group: certificateLoad) {
            var loaded = CertificateDirectory.load(directory: sources.certificatesDirectory,
                                                   previous: previousPairs, parseLimit: parseLimit,
                                                   attemptedBefore: batch.attempted,
                                                   excluding: sources.excludedPaths)
            if let issued = sources.issuedCertificatesDirectory {
                loaded.add(CertificateDirectory.load(directory: issued, previous: previousPairs,
                                                     parseLimit: parseLimit, attemptedBefore: batch.attempted))
            }
            certificateResult.value = loaded
        }
        defer { certificateLoad.wait() }
        let reusable = Dictionary((previous?.policies.values).map { $0.map { ($0.path, $0) } } ?? [],
                                  uniquingKeysWith: { first, _ in first })
        let policies = try PolicyDirectory.load(directory: sources.policiesDirectory, previous: reusable,
                                                deferring: beingWritten)
        // Previous files the listing did not serve: still there? (readdir may miss a name that is being renamed
        // over at that instant; a file being written was not read.)
        let served = Set(policies.policies.map(\.domain))
        let present = Set((previous?.policies ?? [:]).values.filter {
            !served.contains($0.domain) && access($0.path, F_OK) == 0
        }.map(\.path))
        certificateLoad.wait()
        return .everything(policies: policies, certificates: certificateResult.value!, present: present)
    }
}

/// Hands a value from a Dispatch block back to the thread that waited for it.
private final class ResultBox<Value>: @unchecked Sendable {
    var value: Value?
}
