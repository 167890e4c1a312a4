import FileSystem
import Foundation
import TLS

/// The ACME account: its key (ECDSA P-256, made once, mode 0600) and its URL at the CA, kept under
/// `<state dir>/acme` and reused by every later run, so a restart orders nothing it does not need.
struct ACMEAccount {
    let key: ACMESigningKey
    /// Known once the CA registered the key; recorded per directory URL (a staging account is not production's).
    var url: String?

    private struct Record: Codable {
        var directory: String
        var account: String
    }

    static func loadOrCreate(_ settings: IssuanceSettings) throws -> ACMEAccount {
        try makeDirectory(settings.directory, mode: 0o700)
        let key: ACMESigningKey
        if let pem = try? String(contentsOfFile: settings.accountKeyPath, encoding: .utf8) {
            key = try ACMESigningKey(pem: pem)
        } else {
            key = try ACMESigningKey.generate()
            try writeDurably(try key.pem(), to: settings.accountKeyPath, mode: 0o600)
        }
        var url: String?
        if let data = FileManager.default.contents(atPath: settings.accountRecordPath),
           let record = try? JSONDecoder().decode(Record.self, from: data), record.directory == settings.directoryURL {
            url = record.account
        }
        return ACMEAccount(key: key, url: url)
    }

    static func record(url: String, settings: IssuanceSettings) throws {
        let data = try JSONEncoder().encode(Record(directory: settings.directoryURL, account: url))
        try writeDurably(String(decoding: data, as: UTF8.self) + "\n", to: settings.accountRecordPath, mode: 0o600)
    }
}
