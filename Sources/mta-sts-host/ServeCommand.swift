import ArgumentParser
import Catalog
import Glibc
import CoreMetrics
import Logging
import Prometheus
import Reactor
import ReportIntake
import TLSRPT
import DNSPublication
import Issuance
import Server
import TLS
import Verify

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve every policy in --policies over HTTPS, choosing the certificate by TLS SNI.",
        discussion: """
        Senders fetch https://mta-sts.<domain>/.well-known/mta-sts.txt. Each policies/<domain>.txt is validated \
        when loaded and served in canonical form; certificates are found recursively in --certs (certbot live/ \
        folders, Kubernetes tls.crt/tls.key, NAME.crt + NAME.key) and chosen by the DNS names they cover.

        Try it locally:  mta-sts-host serve --listen 127.0.0.1:8443 --self-signed
        """)

    @Option(name: .long, help: ArgumentHelp("Address to listen on, ADDR:PORT; repeat for more. [::] is dual-stack.", valueName: "addr:port"))
    var listen: [String] = ["[::]:443"]

    @Option(help: ArgumentHelp("Plain-HTTP admin address for /healthz, /readyz, /metrics, /status (e.g. 127.0.0.1:9443); off by default. Keep it private.", valueName: "addr:port"))
    var admin: String?

    @Option(help: "Directory of <domain>.txt policy files.")
    var policies = "policies"

    @Option(help: "Directory searched recursively for certificate/key pairs.")
    var certs = "certs"

    @Option(help: "Event loops (default: one per CPU).")
    var workers: Int?

    @Option(help: ArgumentHelp("Host whose certificate answers clients that send no SNI (else they are refused).", valueName: "host"))
    var defaultHost: String?

    @Option(help: ArgumentHelp("Write the bound addresses here, one per line, once accepting.", valueName: "path"))
    var readyFile: String?

    @Option(help: "Seconds allowed for the TLS handshake.")
    var handshakeTimeout = 10

    @Option(help: "Seconds allowed to send a complete request head.")
    var headerTimeout = 10

    @Option(help: "Seconds a keep-alive connection may stay idle.")
    var idleTimeout = 30

    @Option(help: "Requests served on one connection before it is closed.")
    var maxRequestsPerConnection = 1000

    @Option(help: "Open connections at most; beyond it new ones wait in the listen backlog.")
    var maxConnections = 100_000

    @Option(help: "Open connections from one IP address at most; 0 for no limit.")
    var maxConnectionsPerClient = 0

    @Option(help: "TLS 1.3 session tickets per handshake (0 disables resumption; senders rarely resume).")
    var tlsTickets = 0

    @Option(help: "HTTP/2 streams a client may have open at once.")
    var maxConcurrentStreams = 100

    @Flag(inversion: .prefixedNo, help: "Offer HTTP/2 by ALPN (HTTP/1.1 is always offered).")
    var http2 = true

    @Option(help: ArgumentHelp("Changed certificate pairs parsed per reload pass; more follow in further passes.",
                               discussion: "Bounds the memory of a mass re-issue to one batch held twice. 0: one pass."))
    var reloadCertificateBatch = 5_000

    @Option(help: "Seconds to let in-flight requests finish after SIGTERM/SIGINT.")
    var shutdownTimeout = 10

    @Flag(inversion: .prefixedNo, help: "Reload when files in --policies or --certs change (SIGHUP always reloads).")
    var watch = true

    @Option(help: ArgumentHelp("When started as root: continue as this user once the ports are bound (keys must stay readable to it for reloads).", valueName: "name"))
    var user: String?

    @Flag(help: "Allow running as root without --user (otherwise refused; prefer --user or CAP_NET_BIND_SERVICE).")
    var allowRoot = false

    @Flag(help: "Refuse to start when any policy or certificate is rejected or a domain has no usable certificate.")
    var strict = false

    @Flag(help: "Generate a local CA and a certificate per policy domain when --certs holds none (for trying it out).")
    var selfSigned = false

    @Option(help: "Where status.json (for `mta-sts-host status`) and --self-signed's CA and certificates are kept.")
    var stateDir = ".state"

    @OptionGroup(title: "Certificates from an ACME CA")
    var acme: ACMEOptions

    @OptionGroup(title: "Publishing each id in DNS (RFC 2136 dynamic update)")
    var dnsUpdate: DNSUpdateOptions

    @OptionGroup(title: "Checking the deployment as senders see it, in the background")
    var verify: VerifyScheduleOptions

    @OptionGroup(title: "Receiving TLS-RPT reports (RFC 8460)")
    var reports: ReportOptions

    @Option(help: "trace, debug, info (adds access lines), notice, warning, error, critical.")
    var logLevel: Logger.Level = .notice

    @Option(help: "text or json (one object per line).")
    var logFormat: LogFormat = .text

    func validate() throws {
        for address in listen where SocketAddress(address) == nil {
            throw ValidationError("--listen \(address): expected ADDR:PORT, e.g. 127.0.0.1:8443 or [::]:443")
        }
        if let admin, SocketAddress(admin) == nil {
            throw ValidationError("--admin \(admin): expected ADDR:PORT, e.g. 127.0.0.1:9443")
        }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if tlsTickets < 0 { throw ValidationError("--tls-tickets must be 0 or more") }
        if maxConcurrentStreams < 1 { throw ValidationError("--max-concurrent-streams must be at least 1") }
        if reloadCertificateBatch < 0 { throw ValidationError("--reload-certificate-batch must be 0 or more") }
        if acme.resolver != nil, acme.directory == nil, verify.every == nil {
            throw ValidationError("--resolver needs --acme-directory or --verify-every")
        }
    }

    func run() throws {
        ProcessMemory.limitHeaps()
        let logger = LogSetup.bootstrap(level: logLevel, format: logFormat)
        var configuration = ServerConfiguration()
        configuration.listen = listen.compactMap(SocketAddress.init)
        if let workers { configuration.workers = workers }
        configuration.policiesDirectory = policies
        configuration.certificatesDirectory = certs
        configuration.defaultHost = defaultHost
        configuration.readyFile = readyFile
        configuration.handshakeTimeout = handshakeTimeout
        configuration.headerTimeout = headerTimeout
        configuration.idleTimeout = idleTimeout
        configuration.maxRequestsPerConnection = maxRequestsPerConnection
        configuration.maxConnections = maxConnections
        configuration.maxConnectionsPerClient = maxConnectionsPerClient
        configuration.tls.sessionTickets = tlsTickets
        configuration.tls.alpnProtocols = http2 ? ["h2", "http/1.1"] : ["http/1.1"]
        configuration.http2.maxConcurrentStreams = maxConcurrentStreams
        configuration.strict = strict
        configuration.shutdownTimeout = shutdownTimeout
        configuration.reloadCertificateBatch = reloadCertificateBatch
        configuration.watch = watch
        configuration.stateDirectory = stateDir
        if selfSigned {
            configuration.certificatesDirectory = try SelfSignedSetup.prepare(
                policies: policies, certificates: certs, stateDirectory: stateDir,
                listen: configuration.listen, logger: logger)
        }
        let publication: PublicationSettings?
        do {
            // Read before the privilege drop: the key file may be readable by root only.
            publication = try dnsUpdate.settings(warn: { logger.warning("\($0)") })
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
        // The trust file is read before the privilege drop, like the DNS update key.
        let verifying: (verifier: Verifier, intervalSeconds: Int)?
        do {
            verifying = try verify.settings(resolver: acme.resolver).map { settings in
                (try Verifier(settings: settings), verify.every!.seconds)
            }
        } catch {
            logger.critical("--verify-ca-file: \(error)")
            throw ExitCode.failure
        }
        let issuance = acme.settings(stateDirectory: stateDir)
        if let issuance {
            configuration.issuedCertificatesDirectory = issuance.certificatesDirectory
            configuration.challenges = ChallengeCertificates()
        }
        configuration.adminAddress = admin.flatMap(SocketAddress.init)
        if PrivilegeDrop.isRoot, user == nil, !allowRoot {
            logger.critical("refusing to run as root: pass --user NAME to drop privileges after binding, start as a non-root user with CAP_NET_BIND_SERVICE, or pass --allow-root")
            throw ExitCode.failure
        }
        do {
            // Before the server starts: the state directory must exist to be left out of the watched trees, and
            // belong to the user the server continues as, so it can keep writing its status there.
            let owner = try user.flatMap { PrivilegeDrop.isRoot ? try PrivilegeDrop.account(of: $0) : nil }
            try StateDirectory.prepare(stateDir, owner: owner)
            if let issuance {
                try StateDirectory.prepare(issuance.directory, owner: owner)
                chmod(issuance.directory, 0o700)  // the account key lives there
            }
            configuration.stateOwner = owner
        } catch {
            logger.critical("cannot prepare --state-dir \(stateDir): \(error)")
            throw ExitCode.failure
        }
        let reportReceiver: ReportReceiver?
        do {
            let started = try reports.start(owner: configuration.stateOwner, logger: logger)
            configuration.reports = started?.0
            reportReceiver = started?.1
        } catch {
            logger.critical("cannot open --reports \(reports.directory ?? ""): \(error)")
            throw ExitCode.failure
        }
        let server = Server(configuration: configuration, logger: logger, metricsExposition: Self.bootstrapMetrics(enabled: admin != nil))
        do {
            try server.start()
            if let user, PrivilegeDrop.isRoot {
                try PrivilegeDrop.switchTo(user: user)
                logger.notice("dropped privileges", metadata: ["user": "\(user)", "uid": "\(geteuid())"])
            }
            try server.announceReady()
            if let issuance, let challenges = configuration.challenges {
                // After the privilege drop: the account and the certificates belong to the user the server runs as.
                let manager = IssuanceManager(settings: issuance, challenges: challenges, logger: logger,
                                              reload: { server.reload(trigger: "acme") },
                                              statusChanged: { server.statusChanged() })
                server.reportStatus { $0.issuance = manager.status }
                server.observeCatalog { manager.catalogChanged($0) }
            }
            if let reportReceiver {
                server.reportStatus { attachments in
                    attachments.reports = Dictionary(reportReceiver.lastReports.map {
                        ($0.domain, ReportStatus(organization: $0.organization, reportID: $0.reportID, endTime: $0.endTime,
                                                 receivedAt: $0.receivedAt))
                    }, uniquingKeysWith: { first, _ in first })
                }
                reportReceiver.observeStored { server.statusChanged() }
                server.observeCatalog { catalog in
                    reportReceiver.served(catalog.policies.values.map {
                        ServedPolicy(domain: $0.domain, id: $0.id, mode: $0.policy.mode.rawValue)
                    })
                }
            }
            if let publication {
                let publisher = PublicationManager(settings: publication, logger: logger,
                                                   statusChanged: { server.statusChanged() })
                server.reportStatus { $0.publication = publisher.status }
                server.observeCatalog { publisher.catalogChanged($0) }
            }
            if let verifying {
                let manager = VerificationManager(verifier: verifying.verifier, intervalSeconds: verifying.intervalSeconds,
                                                  logger: logger, statusChanged: { server.statusChanged() })
                server.reportStatus { $0.verification = VerificationReporting.status(manager.latest) }
                server.observeCatalog { manager.domainsChanged(VerificationReporting.localPolicies($0)) }
            }
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode.failure
        }
        server.waitUntilStopped()
        // Not a return: the event loops still run, and nothing needs tearing down.
        Glibc.exit(0)
    }

    /// With an admin endpoint, metrics go to a Prometheus registry that /metrics renders; without, they are no-ops.
    private static func bootstrapMetrics(enabled: Bool) -> @Sendable () -> [UInt8] {
        guard enabled else { return { [] } }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return { MetricHelp.adding(to: registry.emitToBuffer()) }
    }
}
