import ArgumentParser
import DNSClient
import DNSPublication
import FileSystem
import Glibc

/// The `--dns-update` options, shared by `serve` (publish at start and after every change) and `dns --update`
/// (publish once).
struct DNSUpdateOptions: ParsableArguments {
    @Option(name: [.customLong("dns-update"), .customLong("update")], help: ArgumentHelp(
        "Publish each domain's _mta-sts TXT record (v=STSv1; id=...) by RFC 2136 dynamic update to this primary server.",
        discussion: "Only the v=STSv1 record at the name is replaced; other TXT records stay. `serve` publishes at start and after every load that changes an id, once the new policy is served.",
        valueName: "addr[:port]"))
    var server: String?

    @Option(name: .customLong("dns-update-key"), help: ArgumentHelp(
        "TSIG key file: BIND's key \"name\" { algorithm hmac-sha256; secret \"...\"; }; (tsig-keygen) or algorithm:name:secret. Keep it mode 0600.",
        valueName: "file"))
    var keyFile: String?

    @Option(name: .customLong("dns-update-zone"), help: ArgumentHelp(
        "The zone the records are in (default: each record's zone, found by its SOA on the server).", valueName: "zone"))
    var zone: String?

    @Option(name: .customLong("dns-update-ttl"), help: "TTL of the published records, in seconds.")
    var ttl = 300

    @Option(name: .customLong("dns-update-name"), help: ArgumentHelp(
        "Where each record lives; {domain} is the mail domain. For a provider's zone that customers CNAME _mta-sts.<domain> to: _mta-sts.{domain}.sts.provider.example.",
        valueName: "template"))
    var nameTemplate = PublicationName.standardTemplate

    @Flag(name: .customLong("dns-update-remove"), help: "Delete the record of a domain whose policy is no longer served (off: RFC 8461 removal starts with a mode: none policy).")
    var remove = false

    func validate() throws {
        guard server != nil else {
            if keyFile != nil || zone != nil || remove {
                throw ValidationError("--dns-update-key, --dns-update-zone and --dns-update-remove need --dns-update")
            }
            return
        }
        if let server, DNSUpdateOptions.isAddress(server) == false {
            throw ValidationError("--dns-update \(server): expected ADDR[:PORT] of the primary server, e.g. 192.0.2.53 or [2001:db8::53]:53")
        }
        if let problem = PublicationName.problem(with: nameTemplate) {
            throw ValidationError("--dns-update-name \(nameTemplate): \(problem)")
        }
        if ttl < 0 || ttl > 86_400 { throw ValidationError("--dns-update-ttl must be between 0 and 86400") }
    }

    private static func isAddress(_ server: String) -> Bool {
        (try? DNSUpdater(server: server, key: nil)) != nil
    }

    /// The settings, with the key read from its file; nil without `--dns-update`. A key file others can read is
    /// worth a warning: whoever holds the key can change the zone as far as the server's policy allows.
    func settings(warn: (String) -> Void) throws -> PublicationSettings? {
        guard let server else { return nil }
        var key: TSIGKey?
        if let keyFile {
            let contents: FileContents
            do {
                contents = try readFile(keyFile, limit: 64 * 1024)
            } catch {
                throw ValidationError("--dns-update-key \(keyFile): \(error)")
            }
            do {
                key = try TSIGKeyFile.parse(String(decoding: contents.bytes, as: UTF8.self))
            } catch {
                throw ValidationError("--dns-update-key \(keyFile): \(error)")
            }
            if contents.status.st_mode & 0o004 != 0 {
                warn("--dns-update-key \(keyFile) can be read by every user (mode \(String(contents.status.st_mode & 0o777, radix: 8))); chmod 600 it")
            }
        } else {
            warn("--dns-update without --dns-update-key: updates are sent unsigned (the server must accept them by address)")
        }
        var settings = PublicationSettings(server: server, key: key, zone: zone)
        settings.ttl = ttl
        settings.nameTemplate = nameTemplate
        settings.removesRetiredDomains = remove
        return settings
    }
}
