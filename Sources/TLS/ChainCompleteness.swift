/// Whether a certificate file carries the chain clients need to reach a trust anchor (pure, for tests). Clients
/// do not fetch missing intermediates, so a file with the leaf alone (certbot's cert.pem) fails for many senders.
enum ChainCompleteness: Equatable, Sendable {
    case complete
    /// Certificate `position + 1` (counted from 1) did not issue certificate `position`.
    case outOfOrder(position: Int)
    /// The issuer of certificate `position`, the last in the file, is neither in the file nor a trust anchor.
    case missingIssuer(position: Int, issuer: String)

    /// The warning to log, or nil for a complete chain.
    var warning: String? {
        switch self {
        case .complete:
            return nil
        case .outOfOrder(let position):
            return "chain incomplete: certificate \(position + 1) in the file did not issue certificate \(position) "
                + "(each certificate must be followed by its issuer); use fullchain.pem, not cert.pem"
        case .missingIssuer(let position, let issuer):
            return "chain incomplete: the issuer of certificate \(position) (\(issuer)) is neither in the file nor "
                + "a trusted root; use fullchain.pem, not cert.pem"
        }
    }
}
