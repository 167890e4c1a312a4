import Catalog
import Dispatch
import FileSystem
import Glibc
import Logging
import Reactor

/// Keeps the status document current in both places it is read: `/status` on the admin address and
/// `<state dir>/status.json` for `mta-sts-host status`. Written after every load and stamped again every minute,
/// so `status --check` can tell a live server from a file left behind; a failed write (read-only or full disk)
/// is logged, counted, shown under `problems`, and retried every 10 s.
final class StatusPublisher: @unchecked Sendable {  // confined to `queue`
    private let queue: DispatchQueue
    private let path: String?
    private let owner: (uid: uid_t, gid: gid_t)?
    private let logger: Logger
    private let metrics: ServerMetrics
    private let publish: (String) -> Void
    private let attachments: () -> DomainAttachments
    private let writer = ProcessIdentity.current
    private var source: (catalog: Catalog, report: CatalogLoader.Report, states: [String: DomainState])?
    private var rendered = "{}"
    private var writeFailure: String?
    private var timer: DispatchSourceTimer?

    static let refreshSeconds = 60
    static let retrySeconds = 10

    /// - Parameter publish: receives each stamped document for `/status`.
    init(queue: DispatchQueue, stateDirectory: String?, owner: (uid: uid_t, gid: gid_t)?, logger: Logger,
         metrics: ServerMetrics, publish: @escaping (String) -> Void,
         attachments: @escaping () -> DomainAttachments = { DomainAttachments() }) {
        self.attachments = attachments
        self.queue = queue
        self.path = stateDirectory.map { joinPath($0, "status.json") }
        self.owner = owner
        self.logger = logger
        self.metrics = metrics
        self.publish = publish
    }

    /// A new catalog was installed. Call on `queue`.
    func loaded(_ catalog: Catalog, report: CatalogLoader.Report, states: [String: DomainState]) {
        source = (catalog, report, states)
        render()
        write()
    }

    /// Something outside the catalog changed (ACME, DNS publication or verification state). Call on `queue`.
    func refresh() {
        guard source != nil else { return }
        render()
        write()
    }

    private func render() {
        guard let source else { return }
        rendered = StatusDocument.render(source.catalog, report: source.report, states: source.states,
                                         problems: source.report.problems + (writeFailure.map { [$0] } ?? []),
                                         writer: writer, attachments: attachments())
    }

    /// Stamps and writes the document; schedules the next write (sooner after a failure).
    private func write() {
        if let path {
            let failedBefore = writeFailure != nil
            attempt(path)
            if (writeFailure != nil) != failedBefore {
                render()  // the failure joins or leaves `problems`
                if writeFailure == nil { attempt(path) }  // the file must not report the failure it recovered from
            }
            metrics.statusFileWritten(writeFailure == nil)
        }
        publish(StatusDocument.stamped(rendered, generatedAt: time(nil)))
        schedule(after: writeFailure == nil ? Self.refreshSeconds : Self.retrySeconds)
    }

    private func attempt(_ path: String) {
        do {
            try prepareDirectory()
            try writeFileAtomically(Array(StatusDocument.stamped(rendered, generatedAt: time(nil)).utf8), to: path, owner: owner)
            if writeFailure != nil { logger.notice("wrote the status file \(path) again") }
            writeFailure = nil
        } catch {
            if writeFailure == nil { logger.error("cannot write the status file \(path): \(error); retrying every \(Self.retrySeconds) s") }
            writeFailure = "cannot write the status file \(path): \(error)"
        }
    }

    private func prepareDirectory() throws {
        guard let path, let slash = path.lastIndex(of: "/") else { return }
        let directory = String(path[..<slash])
        if mkdir(directory, 0o755) != 0, errno != EEXIST { throw SystemError("mkdir \(directory)") }
        if let owner, chown(directory, owner.uid, owner.gid) != 0, errno != EPERM { throw SystemError("chown \(directory)") }
    }

    private func schedule(after seconds: Int) {
        timer?.cancel()
        let next = DispatchSource.makeTimerSource(queue: queue)
        next.schedule(deadline: .now() + .seconds(seconds))
        next.setEventHandler { [weak self] in self?.write() }
        next.activate()
        timer = next
    }
}
