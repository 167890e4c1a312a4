import MTASTS
import TLS

/// What one loading pass read from disk, as read: the input of `CatalogMerge.merge`. `CatalogLoader.scan` makes it
/// (the I/O); the merge decides what serves (pure).
public enum CatalogScan: Sendable {
    /// Both directories, whole.
    /// - present: paths of previous policy files the listing did not serve that still exist when looked at again
    ///   (readdir may miss a name being renamed over at that instant, and a file still being written is not read).
    case everything(policies: PolicyDirectoryReport, certificates: CertificateDirectory.LoadResult, present: Set<String>)
    /// Only the named files of the policy directory, after file events that touched nothing else.
    case policyFiles(names: Set<String>, loaded: PolicyDirectoryReport)

    /// The policy file names a targeted reload reads: the changed ones, and every alias, whose target may be one of
    /// them (a change to a symlink's target raises no event under the symlink's name).
    public static func policyFileNames(changed: [String], previous: Catalog?) -> Set<String> {
        var names = Set(changed)
        for policy in previous?.policies.values.filter(\.isAlias) ?? [] {
            names.insert(String(policy.path.split(separator: "/").last ?? ""))
        }
        return names
    }
}
