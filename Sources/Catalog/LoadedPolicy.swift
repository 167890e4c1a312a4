import MTASTS
import TLS

/// A valid policy file, ready to serve: the canonical body and its TXT id are computed once, at load time.
public struct LoadedPolicy: Sendable {
    /// The mail domain, from the file name: `policies/example.com.txt` serves `mta-sts.example.com`.
    public var domain: String
    public var path: String
    public var policy: Policy
    public var canonical: [UInt8]
    public var id: String
    /// The file as it was when read: unchanged files are not read again on reload.
    public var signature: FileSignature?
    /// A symlink to another policy file: a change to its target raises no event under its own name.
    public var isAlias = false

    public init(domain: String, path: String, policy: Policy, canonical: [UInt8], id: String) {
        self.domain = domain
        self.path = path
        self.policy = policy
        self.canonical = canonical
        self.id = id
    }

    public init(domain: String, path: String, policy: Policy) {
        let canonical = policy.canonicalBytes
        self.init(domain: domain, path: path, policy: policy, canonical: canonical,
                  id: PolicyID.make(canonical: canonical))
    }
}
