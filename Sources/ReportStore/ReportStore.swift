import FileSystem
import Glibc
import TLSRPT

/// The stored reports: one file per report in DIR, written atomically and durably (the source of truth), and the
/// SQLite index beside them (DIR/index.sqlite3). Not thread-safe: the server confines it to one serial queue,
/// the `reports` command to itself.
public final class ReportStore {
    public enum Outcome: Equatable, Sendable {
        case stored(path: String)
        /// The same organization and report-id is already stored; nothing was written or counted.
        case duplicate
    }

    public let directory: String
    private let index: ReportIndex
    /// Given to report files and the index (a server that drops root keeps writing them).
    private let owner: (uid: uid_t, gid: gid_t)?

    public static let indexName = "index.sqlite3"
    /// Decompressed JSON files larger than this are not read back by a reindex (the server never writes one).
    static let maxFileBytes = 64 << 20

    public init(directory: String, owner: (uid: uid_t, gid: gid_t)? = nil) throws {
        self.directory = directory
        self.owner = owner
        if mkdir(directory, 0o750) != 0, errno != EEXIST { throw SystemError("create", path: directory) }
        let indexPath = joinPath(directory, Self.indexName)
        index = try ReportIndex(path: indexPath)
        if let owner {
            for suffix in ["", "-wal", "-shm"] { _ = chown(indexPath + suffix, owner.uid, owner.gid) }
            _ = chown(directory, owner.uid, owner.gid)
        }
    }

    /// Stores a parsed report with the bytes it was parsed from. Returns once the file and its directory are
    /// fsynced and the index has it: the caller may then answer 200.
    public func store(_ report: TLSReport, json: [UInt8], receivedAt: Int) throws -> Outcome {
        if try index.contains(organization: report.organization, reportID: report.reportID) { return .duplicate }
        let relative = ReportFileName.relativePath(of: report)
        let path = joinPath(directory, relative)
        if access(path, F_OK) == 0 {
            // Written before a crash took the index commit: index it now, still a duplicate.
            try index.insert(report, file: relative, receivedAt: receivedAt)
            return .duplicate
        }
        let month = String(relative.prefix(7))
        try makeFolder(joinPath(directory, month))
        try writeFileAtomically(json, to: path, mode: 0o640, owner: owner)
        try index.insert(report, file: relative, receivedAt: receivedAt)
        return .stored(path: path)
    }

    public func rows(since: Int, domains: [String] = []) throws -> [PolicyRow] {
        try index.rows(since: since, domains: domains)
    }

    public func lastReports() throws -> [LastReport] { try index.lastReports() }

    public func reportCount() throws -> Int { try index.reportCount() }

    /// Keeps the history of the policies served (`serve` after each load), so that `reports` can tell which one a
    /// sender quotes, and since when it was replaced.
    public func recordServed(_ policies: [ServedPolicy], at time: Int) throws {
        try index.recordServed(policies, at: time)
    }

    public func servedPolicies(domain: String) throws -> [ServedPolicy] { try index.servedPolicies(domain: domain) }

    public struct Reconciliation: Equatable, Sendable {
        /// Files indexed that were not (a crash between the file and the index commit, or a reindex).
        public var added = 0
        /// Index rows whose file is gone.
        public var removed = 0
        /// Temporary files a crash left behind, deleted.
        public var temporaryFilesDeleted = 0
        /// Files that are not readable reports (named, for the operator).
        public var unreadable: [String] = []
    }

    /// Makes the index agree with the files: what `serve` runs at start and `reports --reindex` runs after
    /// emptying the index.
    public func reconcile(rebuild: Bool = false) throws -> Reconciliation {
        if rebuild { try index.removeAll() }
        var result = Reconciliation()
        var indexed = try index.files()
        for month in try folders() {
            let folder = joinPath(directory, month)
            for entry in try DirectoryListing.entries(of: folder).get() {
                let path = joinPath(folder, entry.name)
                if entry.name.hasPrefix(".") {
                    // writeFileAtomically's temporary file: never renamed, so never answered 200.
                    if unlink(path) == 0 { result.temporaryFilesDeleted += 1 }
                    continue
                }
                guard entry.name.hasSuffix(".json") else { continue }
                let relative = month + "/" + entry.name
                if indexed.remove(relative) != nil { continue }
                guard let bytes = try? readFile(path, limit: Self.maxFileBytes).bytes,
                      case .success(let report) = TLSReportParser.parse(bytes) else {
                    result.unreadable.append(relative)
                    continue
                }
                var status = stat()
                let received = stat(path, &status) == 0 ? Int(status.st_mtim.tv_sec) : report.endTime
                if try index.insert(report, file: relative, receivedAt: received) { result.added += 1 }
            }
        }
        for gone in indexed {
            try index.remove(file: gone)
            result.removed += 1
        }
        return result
    }

    private func folders() throws -> [String] {
        try DirectoryListing.entries(of: directory).get().map(\.name).filter(ReportFileName.isMonthFolder).sorted()
    }

    private func makeFolder(_ path: String) throws {
        guard mkdir(path, 0o750) == 0 else {
            if errno == EEXIST { return }
            throw SystemError("create", path: path)
        }
        if let owner { _ = chown(path, owner.uid, owner.gid) }
        // The new folder's entry in DIR must survive a crash as much as the file in it.
        try syncDirectory(directory)
    }
}
