/// `mx-tls`: what a sender enforcing the policy needs of one MX (RFC 8461 §4.1, §5): STARTTLS offered, TLS 1.2 or
/// later, a trusted chain naming the host.
enum MXTLSCheck {
    static func evaluate(_ outcome: STARTTLSOutcome, host: String, now: Int) -> CheckResult {
        func result(_ status: CheckStatus, _ message: String) -> CheckResult { CheckResult(.mxTLS, host, status, message) }
        switch outcome {
        case .unresolved(let reason): return result(.fail, "\(host) does not resolve: \(reason)")
        case .unreachable(let reason): return result(.fail, "cannot connect: \(reason)")
        case .timedOut(let step): return result(.fail, "timed out at \(step)")
        case .unexpected(let step, let reply): return result(.fail, "unexpected answer to \(step): \(reply)")
        case .noSTARTTLS(let extensions):
            let offered = extensions.isEmpty ? "no extensions" : extensions.joined(separator: " ")
            return result(.fail, "STARTTLS not offered after EHLO (it offered \(offered)): senders in enforce mode cannot deliver here")
        case .handshakeFailed(let reason):
            return result(.fail, "TLS handshake failed: \(reason) (senders need TLS 1.2 or later and a shared cipher)")
        case .negotiated(let peer):
            let (status, message) = PeerCertificateCheck.evaluate(peer, host: host, now: now)
            return result(status, message)
        }
    }
}
