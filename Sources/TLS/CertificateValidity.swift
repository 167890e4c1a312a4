import Glibc

/// Where a certificate stands in its validity period at a given time (pure, for tests): outside it the pair is
/// refused at load, near its end it is served with a warning.
public enum CertificateValidity: Equatable, Sendable {
    case valid
    /// Less than `expiryWarningDays` whole days left.
    case expiresSoon(days: Int)
    case expired
    case notYetValid

    /// Certificates expiring within this many days are reported: certbot renews at 30 days left, so a certificate
    /// this close to its end means renewal has been failing for about two weeks.
    public static let expiryWarningDays = 14

    public init(notBefore: Int, notAfter: Int, now: Int) {
        if notAfter <= now {
            self = .expired
        } else if notBefore > now {
            self = .notYetValid
        } else if (notAfter - now) / 86_400 < Self.expiryWarningDays {
            self = .expiresSoon(days: (notAfter - now) / 86_400)
        } else {
            self = .valid
        }
    }

    /// `2025-06-01 12:00:00 UTC`: certificates state their validity in UTC.
    public static func utcDate(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "\(seconds)" }
        var buffer = [UInt8](repeating: 0, count: 40)
        let length = buffer.withUnsafeMutableBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { strftime($0.baseAddress, $0.count, "%Y-%m-%d %H:%M:%S UTC", &parts) }
        }
        return String(decoding: buffer[..<length], as: UTF8.self)
    }
}
