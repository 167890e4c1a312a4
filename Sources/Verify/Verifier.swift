import TLS

/// `verify`'s engine: every domain's checks, `settings.concurrentDomains` domains at a time. Blocking: the
/// command calls it from main, the server from a queue of its own, never from an event loop.
public struct Verifier: Sendable {
    public let settings: VerifySettings
    private let context: TLSClientContext

    public init(settings: VerifySettings) throws(TLSError) {
        self.settings = settings
        context = try TLSClientContext(trustFile: settings.trustFile)
    }

    /// One result per domain, in the order given.
    public func verify(_ domains: [(domain: String, local: LocalPolicy?)]) -> [DomainVerification] {
        let verifier = DomainVerifier(settings: settings, context: context)
        return ParallelMap.map(count: domains.count, width: settings.concurrentDomains, label: "verify.domain") { index in
            verifier.verify(domain: domains[index].domain, local: domains[index].local)
        }
    }
}
