import FoundationEssentials
import HTTPSFetch
import TLS

/// When the CA would like a certificate renewed (RFC 9773, ACME Renewal Information).
public struct RenewalWindow: Equatable, Sendable {
    /// Seconds since the epoch.
    public let start: Int
    public let end: Int
    public let explanationURL: String?
    /// When to ask again (the answer's Retry-After), in seconds from now.
    public let retryAfter: Int?
}

extension ACMEClient {
    /// The suggested renewal window for `certificatePEM` (its leaf), or nil when the directory offers no
    /// renewalInfo. An unauthenticated GET (RFC 9773 §4.2).
    public func renewalInfo(certificatePEM: String) throws -> RenewalWindow? {
        guard let base = try directory().renewalInfo else { return nil }
        let identifier = try RenewalCertificateIdentifier.make(certificatePEM: certificatePEM)
        let url = (base.hasSuffix("/") ? base : base + "/") + identifier
        let response = try send(HTTPRequest(method: .get, url: url))
        guard response.status == 200 else { throw problem(in: response, url: url) }
        let info: ACMERenewalInfo = try decode(response, "renewal information \(url)")
        guard let start = TimestampParsing.rfc3339(info.suggestedWindow.start),
              let end = TimestampParsing.rfc3339(info.suggestedWindow.end), start <= end
        else {
            throw ACMEError("renewal information \(url)",
                            "unreadable window \(info.suggestedWindow.start) .. \(info.suggestedWindow.end)")
        }
        let retryAfter = response.headers["Retry-After"].flatMap {
            TimestampParsing.retryAfter($0, now: clock.wallClock())
        }
        return RenewalWindow(start: start, end: end, explanationURL: info.explanationURL, retryAfter: retryAfter)
    }
}
