import ArgumentParser
import Glibc
import HTTP
import Logging
import ReportIntake
import ReportStore
import Server

/// `serve --reports DIR` and its limits: TLS-RPT reports (RFC 8460) POSTed to /tlsrpt on every policy host.
struct ReportOptions: ParsableArguments {
    @Option(name: .customLong("reports"),
            help: ArgumentHelp("Accept TLS-RPT reports at POST https://mta-sts.<domain>/tlsrpt and keep them here (off by default).",
                               valueName: "dir"))
    var directory: String?

    @Option(name: .customLong("reports-max-bytes"), help: "Largest report body accepted as sent (gzip or JSON), in bytes.")
    var maxBytes = ReportIntakeSettings().maxBodyBytes

    @Option(name: .customLong("reports-max-inflated-bytes"), help: "Largest report after gunzip, in bytes (bounds a gzip bomb).")
    var maxInflatedBytes = ReportIntakeSettings().maxInflatedBytes

    @Option(name: .customLong("reports-per-minute"),
            help: "Reports one client address may post per minute; 0 for no limit (one provider sends one report per domain at once).")
    var perMinute = ReportIntakeSettings().reportsPerMinutePerClient

    func validate() throws {
        if maxBytes < 1 { throw ValidationError("--reports-max-bytes must be at least 1") }
        if maxInflatedBytes < 1 { throw ValidationError("--reports-max-inflated-bytes must be at least 1") }
        if perMinute < 0 { throw ValidationError("--reports-per-minute must be 0 or more") }
    }

    var settings: ReportIntakeSettings {
        var settings = ReportIntakeSettings()
        settings.maxBodyBytes = maxBytes
        settings.maxInflatedBytes = maxInflatedBytes
        settings.reportsPerMinutePerClient = perMinute
        return settings
    }

    /// Opens the store (reconciling its index with the files a crash may have left unindexed) and makes the
    /// route the event loops hand bodies to; nil without --reports.
    func start(owner: (uid: uid_t, gid: gid_t)?, logger: Logger) throws -> (ReportRoute, ReportReceiver)? {
        guard let directory else { return nil }
        let store = try ReportStore(directory: directory, owner: owner)
        let reconciled = try store.reconcile()
        if reconciled.added + reconciled.removed + reconciled.temporaryFilesDeleted > 0 || !reconciled.unreadable.isEmpty {
            logger.notice("report index reconciled with \(directory)", metadata: [
                "added": "\(reconciled.added)", "removed": "\(reconciled.removed)",
                "temporary_files_deleted": "\(reconciled.temporaryFilesDeleted)",
                "unreadable": "\(reconciled.unreadable.joined(separator: ","))",
            ])
        }
        let receiver = ReportReceiver(store: store, settings: settings, logger: logger)
        let route = ReportRoute(maxBodyBytes: maxBytes) { submission, done in
            receiver.receive(body: submission.upload.body, contentType: submission.upload.contentType,
                             client: submission.clientAddress, servesDomain: submission.servesDomain, done: done)
        }
        return (route, receiver)
    }
}
