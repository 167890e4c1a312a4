import MTASTS
import TLS

/// What fetching `https://mta-sts.<domain>/.well-known/mta-sts.txt` gave.
enum PolicyFetchOutcome: Sendable, Equatable {
    /// The policy host has no address (the lookup's words).
    case unresolved(String)
    /// No HTTP response: connect, TLS (chain, name, version), timeout or size (libcurl's words).
    case failed(String)
    case response(status: Int, contentType: String?, location: String?, body: [UInt8])
}

/// `policy-fetch`, judged as a strict sender does (RFC 8461 §3.3): only a 200, `text/plain`, no redirect
/// followed, over a certificate that verified (libcurl refused anything else before `outcome` was made); `peer`
/// (the same host's certificate, from a handshake of our own) adds the expiry warning.
enum PolicyFetchCheck {
    static let maximumBodyBytes = 64 * 1024

    /// The result, and the body when it is one a sender would read.
    static func evaluate(_ outcome: PolicyFetchOutcome, peer: TLSPeer?, host: String, url: String,
                         now: Int) -> (CheckResult, body: [UInt8]?) {
        func result(_ status: CheckStatus, _ message: String) -> CheckResult {
            CheckResult(.policyFetch, url, status, message)
        }
        switch outcome {
        case .unresolved(let reason):
            return (result(.fail, "\(host) does not resolve: \(reason)"), nil)
        case .failed(let reason):
            return (result(.fail, reason), nil)
        case .response(let status, let contentType, let location, let body):
            if (300..<400).contains(status) {
                let target = location.map { " to \($0)" } ?? ""
                return (result(.fail, "HTTP \(status) redirect\(target): senders do not follow redirects; serve the policy at this URL"), nil)
            }
            guard status == 200 else { return (result(.fail, "HTTP \(status): senders need 200"), nil) }
            let mediaType = contentType.map { ASCII.trimmingWhitespace($0.split(separator: ";").first ?? "").lowercased() }
            guard mediaType == "text/plain" else {
                return (result(.fail, "Content-Type \(contentType ?? "missing"): senders need text/plain"), nil)
            }
            let summary = "HTTP 200 text/plain, \(body.count) bytes"
            guard let peer else { return (result(.pass, summary), body) }
            let (certificateStatus, certificateText) = PeerCertificateCheck.evaluate(peer, host: host, now: now)
            return (result(max(certificateStatus, .pass), "\(summary), \(certificateText)"), body)
        }
    }
}
