import Catalog
import Reactor

/// Decides how much a burst of file events requires reloading (pure, for tests).
enum ReloadScope {
    /// The policy file names to read again, when the events touched nothing but files directly in the policies
    /// directory; nil when anything else changed (certificates, subdirectories, Kubernetes `..data`, lost events).
    /// Names in `beingWritten` (full paths) are left out: written again since their close, they are read at the
    /// next one.
    static func policyNames(in changes: FileChanges, configuration: ServerConfiguration,
                            beingWritten: Set<String> = []) -> [String]? {
        guard changes.isComplete else { return nil }
        let policies = trimmed(configuration.policiesDirectory)
        var names: [String] = []
        for path in changes.paths {
            guard let slash = path.lastIndex(of: "/"), trimmed(String(path[..<slash])) == policies else { return nil }
            let name = String(path[path.index(after: slash)...])
            // `..data` and `..2024_...` are a Kubernetes volume swapping all its files at once.
            if name.hasPrefix("..") { return nil }
            switch PolicyDirectory.classify(name) {
            case .policy where beingWritten.contains(path): continue
            case .policy: names.append(name)
            case .ignored: continue
            case .other: return nil
            }
        }
        return names
    }

    private static func trimmed(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }
}
