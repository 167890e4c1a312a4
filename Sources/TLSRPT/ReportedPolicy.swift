import MTASTS

/// Which policy a sender says it applied: the reported policy-string read as a policy file, so that its id is the
/// one this host serves for the same content (`PolicyID`), whatever the sender's line ends or key order.
public enum ReportedPolicy {
    /// The id of the policy a row quotes, nil when its policy-string is not a valid policy.
    public static func id(of policyString: String) -> String? {
        guard !policyString.isEmpty else { return nil }
        let text = policyString.split(separator: "\n").joined(separator: "\r\n") + "\r\n"
        guard let policy = PolicyParser.parse(Array(text.utf8)).policy else { return nil }
        return PolicyID.make(canonical: policy.canonicalBytes)
    }
}
