/// Why a certificate/key pair was refused at load time. The pair is not served; a pair loaded earlier from the
/// same files, if any, keeps serving.
public struct CertificateRejection: Error, CustomStringConvertible, Sendable {
    public enum Reason: Equatable, Sendable {
        case expired(notAfter: Int, now: Int)
        case notYetValid(notBefore: Int)
        /// OpenSSL would refuse to serve it (key too small, weak signature digest), with OpenSSL's reasons.
        case securityLevel(level: Int, reasons: [String])
        /// The key matches certificate `position` (counted from 1) of `count`, not the first.
        case outOfOrder(position: Int, count: Int)
        case tooManyCertificates(count: Int)
        case fileTooLarge(bytes: Int)
        /// `key` and `certificate` as they should be shown: given path, and where a symlink leads.
        case keyMismatch(key: String, certificate: String)
    }

    public let certificatePath: String
    public let reason: Reason

    public init(certificatePath: String, reason: Reason) {
        self.certificatePath = certificatePath
        self.reason = reason
    }

    /// What is wrong, without the certificate's path (except for a key mismatch, which names both files).
    public var message: String {
        switch reason {
        case .expired(let notAfter, let now):
            return "certificate expired on \(CertificateValidity.utcDate(notAfter)) "
                + "(\((now - notAfter) / 86_400) days ago); renew it"
        case .notYetValid(let notBefore):
            return "certificate not valid until \(CertificateValidity.utcDate(notBefore)); "
                + "check the clock of the machine that issued it"
        case .securityLevel(let level, let reasons):
            return "OpenSSL refuses it at security level \(level): \(reasons.joined(separator: "; "))"
                + Self.fix(for: reasons)
        case .outOfOrder(let position, let count):
            return "certificates out of order: the private key belongs to certificate \(position) of \(count), not the "
                + "first; put the leaf first, then the intermediates"
        case .tooManyCertificates(let count):
            return "chain too large: \(count) certificates, at most \(CertificateLoader.maximumCertificates); "
                + "keep the leaf and its intermediates"
        case .fileTooLarge(let bytes):
            return "chain too large: the file is \(bytes) bytes, at most \(CertificateLoader.maximumFileBytes / 1024) KiB; "
                + "keep the leaf and its intermediates"
        case .keyMismatch(let key, let certificate):
            return "private key \(key) does not match certificate \(certificate)"
        }
    }

    public var description: String {
        if case .keyMismatch = reason { return message }
        return "\(certificatePath): \(message)"
    }

    private static func fix(for reasons: [String]) -> String {
        if reasons.contains(where: { $0.hasSuffix("key too small") }) {
            return "; use an RSA key of 2048 bits or more, or ECDSA P-256"
        }
        if reasons.contains(where: { $0.hasSuffix("md too weak") }) { return "; have it reissued signed with SHA-256" }
        return ""
    }
}
