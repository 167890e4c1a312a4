import ArgumentParser
import DNSClient
import FileSystem
import Issuance

/// `serve`'s ACME options: certificates for every served `mta-sts.<domain>` from a CA, by TLS-ALPN-01 on the
/// listeners themselves.
struct ACMEOptions: ParsableArguments {
    @Option(name: .customLong("acme-directory"), help: ArgumentHelp(
        "Order certificates from this ACME directory for every policy domain no --certs certificate covers; passing it accepts the CA's terms of service.",
        discussion: "Let's Encrypt: https://acme-v02.api.letsencrypt.org/directory (staging: https://acme-staging-v02.api.letsencrypt.org/directory). Validation is TLS-ALPN-01 on the --listen port, which the CA must reach on port 443.",
        valueName: "url"))
    var directory: String?

    @Option(name: .customLong("acme-email"), help: ArgumentHelp("Contact address for the ACME account (expiry notices).", valueName: "addr"))
    var email: String?

    @Option(name: .customLong("acme-trust"), help: ArgumentHelp("Extra CA certificates (PEM) to trust when talking to the ACME server, besides the system's.", valueName: "pem"))
    var trust: String?

    @Option(name: .customLong("acme-dir"), help: ArgumentHelp("Where the ACME account key and the issued certificates are kept (default: <state-dir>/acme). It must survive restarts, or every start orders every certificate again.", valueName: "path"))
    var storage: String?

    @Option(help: ArgumentHelp("DNS server for ACME (a name must resolve before its certificate is ordered) and --verify-every (default: /etc/resolv.conf).", valueName: "addr[:port]"))
    var resolver: String?

    func validate() throws {
        if let resolver {
            do {
                _ = try DNSResolver(server: resolver)
            } catch {
                throw ValidationError("--resolver \(error)")
            }
        }
        guard let directory else {
            if email != nil || trust != nil || storage != nil {
                throw ValidationError("--acme-email, --acme-trust and --acme-dir need --acme-directory")
            }
            return
        }
        guard directory.hasPrefix("https://") else {
            throw ValidationError("--acme-directory \(directory): expected an https:// URL, e.g. https://acme-v02.api.letsencrypt.org/directory")
        }
    }

    func settings(stateDirectory: String) -> IssuanceSettings? {
        directory.map {
            IssuanceSettings(directoryURL: $0, contactEmail: email, trustBundlePath: trust, resolver: resolver,
                             directory: storage ?? joinPath(stateDirectory, "acme"))
        }
    }
}
