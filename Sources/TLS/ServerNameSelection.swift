/// Which certificates answer a ClientHello: a pure decision over an immutable index, made in the SNI callback.
/// A class, not a struct: each connection holds it until its ClientHello, and a reference is a quarter the size.
public final class ServerNameSelection: Sendable {
    public enum Outcome {
        /// Serve with these pairs; `host` is the lower-cased name the connection is for.
        case use([CertificateKeyPair], host: String)
        /// The client named a host no certificate covers: refuse with `unrecognized_name`, before any signature.
        case unknownName(String)
        /// The client sent no SNI and there is no default host.
        case missingName
    }

    public let index: CertificateIndex
    /// Used for clients that send no SNI at all (`--default-host`).
    public let defaultHost: String?

    public init(index: CertificateIndex, defaultHost: String?) {
        self.index = index
        self.defaultHost = defaultHost?.lowercased()
    }

    public func select(serverName: String?) -> Outcome {
        guard let name = serverName?.lowercased() ?? defaultHost else { return .missingName }
        guard let match = index.match(lowercasedName: name) else {
            return serverName == nil ? .missingName : .unknownName(name)
        }
        return .use(match.pairs, host: match.name)
    }
}
