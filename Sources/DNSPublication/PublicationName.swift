/// The owner name of a domain's `_mta-sts` TXT record. Usually `_mta-sts.<domain>` in the domain's own zone; a
/// provider instead publishes `_mta-sts.<domain>.<provider zone>` in a zone of its own, which each customer's
/// `_mta-sts.<domain>` is a CNAME to, so customers never have their zone updated.
public enum PublicationName {
    public static let placeholder = "{domain}"
    public static let standardTemplate = "_mta-sts.{domain}"

    public static func render(_ template: String, domain: String) -> String {
        var name = template.replacingPlaceholder(with: domain).lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// Why `template` cannot name records, or nil when it can.
    public static func problem(with template: String) -> String? {
        guard template.contains(placeholder) else {
            return "expected a name with \(placeholder) in it, e.g. _mta-sts.{domain} or _mta-sts.{domain}.sts.provider.example"
        }
        guard !template.contains(" "), !template.hasPrefix(".") else { return "not a DNS name" }
        return nil
    }
}

extension String {
    /// Every `{domain}` replaced (Foundation's replacingOccurrences is not imported for one call).
    fileprivate func replacingPlaceholder(with domain: String) -> String {
        split(separator: PublicationName.placeholder, omittingEmptySubsequences: false).joined(separator: domain)
    }
}
