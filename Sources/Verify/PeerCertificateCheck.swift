import MTASTS
import TLS

/// A TLS peer judged as a sender judges it (RFC 8461 §4.1): a chain that verifies, a DNS name matching the host
/// (`*.` covering exactly one label), and, beyond what senders require, a warning two weeks before expiry
/// (`CertificateValidity`, the same rule as for the certificates this host serves).
enum PeerCertificateCheck {
    static func evaluate(_ peer: TLSPeer, host: String, now: Int) -> (CheckStatus, String) {
        let version = peer.protocolVersion
        let expiry = CertificateValidity.utcDate(peer.notAfter)
        switch CertificateValidity(notBefore: peer.notBefore, notAfter: peer.notAfter, now: now) {
        case .expired: return (.fail, "\(version), the certificate expired on \(expiry): renew it")
        case .notYetValid:
            return (.fail, "\(version), the certificate is not valid before \(CertificateValidity.utcDate(peer.notBefore))")
        case .valid, .expiresSoon: break
        }
        if let problem = peer.chainProblem {
            return (.fail, "\(version), certificate not trusted: \(problem) (serve the full chain, from a public CA)")
        }
        guard peer.dnsNames.contains(where: { MXHostMatch.matches(host, pattern: $0) }) else {
            let names = peer.dnsNames.isEmpty ? "no DNS names" : peer.dnsNames.joined(separator: ", ")
            return (.fail, "\(version), the certificate does not name \(host) (it names \(names))")
        }
        if case .expiresSoon(let days) = CertificateValidity(notBefore: peer.notBefore, notAfter: peer.notAfter, now: now) {
            return (.warn, "\(version), the certificate expires in \(days) day\(days == 1 ? "" : "s") (\(expiry)): renew it")
        }
        return (.pass, "\(version), certificate valid for \(host) until \(expiry)")
    }
}
