import Catalog
import FileSystem
import Glibc
import HTTP
import Reactor
import TLS

/// Everything `serve` can be told, with the defaults an operator gets when saying nothing.
public struct ServerConfiguration: Sendable {
    /// Addresses to listen on; `[::]` is dual-stack.
    public var listen: [SocketAddress] = [SocketAddress("[::]:443")!]
    /// Event loops, each a serial queue with its own SO_REUSEPORT socket.
    public var workers: Int = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    public var policiesDirectory = "policies"
    public var certificatesDirectory = "certs"
    /// Certificate and routing for clients that send no SNI; without it such handshakes are refused.
    public var defaultHost: String?
    /// Written with one bound address per line once the server accepts connections.
    public var readyFile: String?
    /// Seconds a client may take to complete the TLS handshake.
    public var handshakeTimeout = 10
    /// Seconds a client may take to send a complete request head.
    public var headerTimeout = 10
    /// Seconds a keep-alive connection may sit idle between requests.
    public var idleTimeout = 30
    /// Requests on one connection before it is closed (bounds per-client work).
    public var maxRequestsPerConnection = 1000
    /// Open connections in the whole process; at the limit, new ones wait in the listen backlog.
    public var maxConnections = 100_000
    /// Open connections from one IP address; 0 for no limit (senders behind one NAT can be many).
    public var maxConnectionsPerClient = 0
    public var tls = TLSSettings()
    /// Seconds before session-ticket keys are replaced (when tickets are enabled).
    public var ticketKeyLifetime = 12 * 3600
    /// Changed certificate pairs parsed per reload pass; the rest follow in further passes at once. Bounds the
    /// memory of a mass re-issue (old and new pairs both alive) to one batch; 0 parses every change in one pass.
    public var reloadCertificateBatch = 5_000
    public var http2 = HTTP2Settings()
    /// Plain-HTTP admin endpoints (/healthz, /readyz, /metrics, /status); nil for none. Never the public address.
    public var adminAddress: SocketAddress?
    /// Reload when files under the policy or certificate directories change (inotify); SIGHUP always reloads.
    public var watch = true
    /// Where `serve` writes status.json (what is served, from which file, pending errors) for `status`.
    public var stateDirectory: String? = ".state"
    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT.
    public var shutdownTimeout = 10
    /// Refuse to start when any policy or certificate is rejected, or a domain has no usable certificate.
    public var strict = false
    /// Owner given to the files written in `stateDirectory` when the server drops root for another user.
    public var stateOwner: (uid: uid_t, gid: gid_t)?
    /// ACME: the directory the issuer writes certificates to (a second certificate root, where an operator's
    /// certificate wins), and the TLS-ALPN-01 certificates it has pending. Both nil without `--acme-directory`.
    public var issuedCertificatesDirectory: String?
    public var challenges: ChallengeCertificates?
    /// `--reports`: POST /tlsrpt is accepted and handed to this route; nil answers 404 there, as before.
    public var reports: ReportRoute?

    /// Resolved paths never walked or watched: the state directory, which the server writes to (a state
    /// directory inside --certs would otherwise reload on every status write). Not when a root lies inside it:
    /// --self-signed keeps its certificates there.
    public var excludedPaths: [String] {
        guard let stateDirectory, let state = resolvedPath(stateDirectory) else { return [] }
        let roots = [policiesDirectory, certificatesDirectory].compactMap(resolvedPath)
        return roots.contains { isPath($0, within: state) } ? [] : [state]
    }

    public init() {}

    /// What the catalog is loaded from.
    public var catalogSources: CatalogSources {
        CatalogSources(policiesDirectory: policiesDirectory, certificatesDirectory: certificatesDirectory,
                       defaultHost: defaultHost, excludedPaths: excludedPaths,
                       reloadCertificateBatch: reloadCertificateBatch,
                       issuedCertificatesDirectory: issuedCertificatesDirectory)
    }
}
