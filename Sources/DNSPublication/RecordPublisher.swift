import DNSClient
import MTASTS

/// Publishes one domain's id: the update the manager runs on its threads and `dns --update` runs once. Blocking.
public struct RecordPublisher: Sendable {
    public let settings: PublicationSettings

    public init(settings: PublicationSettings) {
        self.settings = settings
    }

    /// Makes the `v=STSv1` TXT record at the domain's record name carry `id` (nil: removes it), leaving every
    /// other TXT record at that name as it is.
    public func publish(domain: String, id: String?, dryRun: Bool = false) -> Result<DNSUpdateChange, DNSUpdateError> {
        let name = settings.recordName(for: domain)
        let updater: DNSUpdater
        do {
            updater = try DNSUpdater(server: settings.server, key: settings.key)
        } catch {
            return .failure(DNSUpdateError("\(error)"))
        }
        let zone: String
        if let configured = settings.zone {
            zone = configured
        } else {
            switch updater.zone(of: name) {
            case .success(let found): zone = found
            case .failure(let error): return .failure(error)
            }
        }
        return updater.replaceText(at: name, in: zone, prefix: DNSRecords.stsVersionPrefix,
                                   with: id.map { DNSRecords(domain: domain, id: $0).stsValue }, ttl: settings.ttl,
                                   dryRun: dryRun)
    }
}
