import DNSClient
import Glibc
import MTASTS
import Reactor
import TLS

/// The policy this host has for a domain: what `dns-id` and `policy-syntax` compare the live state with.
public struct LocalPolicy: Sendable {
    public let id: String
    public let canonical: [UInt8]

    public init(id: String, canonical: [UInt8]) {
        self.id = id
        self.canonical = canonical
    }
}

/// Every check of one domain, in the order a sender meets them. Each check runs even when an earlier one failed
/// (a sender would stop, the operator wants the whole picture); the MX hosts are probed at the same time.
struct DomainVerifier {
    let settings: VerifySettings
    let context: TLSClientContext

    func verify(domain: String, local: LocalPolicy?) -> DomainVerification {
        let records = DNSRecords(domain: domain, id: local?.id ?? "")
        let resolver: DNSResolver
        do {
            resolver = try DNSResolver(server: settings.resolver, timeoutSeconds: settings.timeoutSeconds)
        } catch {
            return DomainVerification(domain: domain, checks: [CheckResult(.dnsTXT, records.stsName, .fail, error.description)])
        }
        let now = Int(time(nil))
        let (txt, publishedID) = STSRecordCheck.evaluate(resolver.textRecords(records.stsName), name: records.stsName)
        var checks = [txt, PolicyIDCheck.evaluate(domain: domain, publishedID: publishedID, localID: local?.id)]

        let host = records.policyHost
        let url = PolicyHostFetcher.url(host: host, port: settings.httpsPort)
        let fetched: (PolicyFetchOutcome, TLSPeer?)
        switch resolver.addresses(of: host) {
        case .addresses(let addresses):
            fetched = PolicyHostFetcher(settings: settings, context: context).fetch(host: host, addresses: addresses)
        case .nonexistent: fetched = (.unresolved("NXDOMAIN"), nil)
        case .noAddress: fetched = (.unresolved("no A or AAAA record"), nil)
        case .failed(let reason): fetched = (.unresolved(DNSFailure.describe(reason, name: host)), nil)
        }
        let (fetch, body) = PolicyFetchCheck.evaluate(fetched.0, peer: fetched.1, host: host, url: url, now: now)
        let (syntax, policy) = PolicySyntaxCheck.evaluate(body, url: url, local: local?.canonical)
        checks += [fetch, syntax]

        let exchangers = resolver.mailExchangers(domain)
        let localPolicy = local.flatMap { PolicyParser.parse($0.canonical).policy }
        checks += MXCoverageCheck.evaluate(domain: domain, exchangers: exchangers, patterns: (policy ?? localPolicy)?.mx)
        checks += probeExchangers(exchangers, resolver: resolver, now: now)
        checks.append(TLSRPTRecordCheck.evaluate(resolver.textRecords(records.tlsrptName), name: records.tlsrptName))
        return DomainVerification(domain: domain, checks: checks)
    }

    /// `mx-tls` for each MX host, all at once: an unreachable one costs its timeout, not everyone's.
    private func probeExchangers(_ exchangers: DNSAnswer<MailExchanger>, resolver: DNSResolver, now: Int) -> [CheckResult] {
        guard case .records(let records) = exchangers, !records.isEmpty else { return [] }
        var seen = Set<String>()
        let hosts = records.sorted { $0.preference < $1.preference }.map { MXHostMatch.normalized($0.exchange) }
            .filter { seen.insert($0).inserted }
        // An MX that does not resolve is reported without a probe.
        let targets: [(host: String, address: SocketAddress?, unresolved: STARTTLSOutcome)] = hosts.map { host in
            switch resolver.addresses(of: host) {
            case .addresses(let addresses):
                let address = addresses.first.flatMap { SocketAddress(host: $0, port: settings.smtpPort) }
                return (host, address, .unresolved("no usable address"))
            case .nonexistent: return (host, nil, .unresolved("NXDOMAIN"))
            case .noAddress: return (host, nil, .unresolved("no A or AAAA record"))
            case .failed(let reason): return (host, nil, .unresolved(DNSFailure.describe(reason, name: host)))
            }
        }
        let probe = STARTTLSProbe(context: context, timeout: settings.timeout, clientName: STARTTLSProbe.localHostName)
        let outcomes = ParallelMap.map(count: targets.count, width: targets.count, label: "verify.mx") { index in
            let target = targets[index]
            return target.address.map { probe.probe(host: target.host, address: $0) } ?? target.unresolved
        }
        return zip(targets, outcomes).map { MXTLSCheck.evaluate($1, host: $0.host, now: now) }
    }
}
