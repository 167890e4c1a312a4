import FileSystem
import Glibc
import MTASTS
import TLS

/// Loads `DIR/<domain>.txt` policy files (non-recursive). Symlinks are followed, so an alias file
/// `alias.example.txt -> example.com.txt` serves the same policy for the alias domain, and Kubernetes'
/// `..data` mounts work. Which names count is decided in `PolicyDirectory+Names.swift`.
public enum PolicyDirectory {
    /// Throws only when the directory itself cannot be listed; every file problem is a diagnostic, and a
    /// file with an error is left out of `policies` and listed in `rejectedFiles`.
    /// - Parameter previous: policies loaded before, by path: a file whose signature (device, inode, size,
    ///   mtime) is unchanged is reused without being read, so reloading 50,000 domains costs 50,000 stats.
    /// - Parameter deferring: paths of files still being written: their previous version (if any) is kept and
    ///   the half-written content is not read.
    public static func load(directory: String, previous: [String: LoadedPolicy] = [:],
                            deferring: Set<String> = []) throws -> PolicyDirectoryReport {
        enum Step { case notPolicy(path: String), reuse(LoadedPolicy), read(index: Int) }
        var steps: [Step] = []
        var reads: [(domain: String, path: String)] = []
        for name in try entryNames(in: directory) {
            let path = joinPath(directory, name)
            switch classify(name) {
            case .ignored:
                continue
            case .other:
                steps.append(.notPolicy(path: path))
            case .policy(let domain):
                if let earlier = previous[path], deferring.contains(path) {
                    steps.append(.reuse(earlier))
                } else if deferring.contains(path) {
                    continue  // a new file whose writer is not done: it is read when closed
                } else if let earlier = previous[path], let signature = earlier.signature, FileSignature(path: path) == signature {
                    steps.append(.reuse(earlier))
                } else {
                    steps.append(.read(index: reads.count))
                    reads.append((domain, path))
                }
            }
        }
        // Read and parsed in lanes (several reads in flight on a cold page cache), then reported in name order.
        let loaded = Lanes.map(count: reads.count, label: "mta-sts-host.policies") { [reads] in
            { index in
                var single = PolicyDirectoryReport()
                loadPolicy(domain: reads[index].domain, path: reads[index].path, into: &single)
                return single
            }
        }
        var report = PolicyDirectoryReport()
        for step in steps {
            switch step {
            case .notPolicy(let path):
                guard isRegularFile(path) else { continue }
                report.add(Diagnostic(severity: .warning, line: 0, column: 0,
                                      message: "not a policy file (ignored): policy files are named <domain>.txt",
                                      fix: "rename it to <domain>.txt, or move it out of the directory"), path: path)
            case .reuse(let earlier):
                report.policies.append(earlier)
            case .read(let index):
                report.append(loaded[index])
            }
        }
        report.policies.sort { $0.domain < $1.domain }
        report.rejectedFiles.sort()
        return report
    }

    /// Loads the named entries only (a targeted reload after file events): a policy per valid file, nothing for a
    /// missing one, diagnostics as in `load`. Names that are not policy files are skipped.
    public static func load(directory: String, names: [String]) -> PolicyDirectoryReport {
        var report = PolicyDirectoryReport()
        for name in names {
            guard case .policy(let domain) = classify(name) else { continue }
            let path = joinPath(directory, name)
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            loadPolicy(domain: domain, path: path, into: &report)
        }
        return report
    }

    private static func loadPolicy(domain: String, path: String, into report: inout PolicyDirectoryReport) {
        var rejected = false
        for diagnostic in nameDiagnostics(domain: domain) {
            report.add(diagnostic, path: path)
            rejected = rejected || diagnostic.severity == .error
        }
        let bytes: [UInt8], signature: FileSignature
        switch readPolicyFile(path) {
        case .bytes(let read, let readSignature):
            (bytes, signature) = (read, readSignature)
        case .failed(let message, let fix):
            report.add(Diagnostic(severity: .error, line: 0, column: 0, message: message, fix: fix), path: path)
            report.rejectedFiles.append(path)
            return
        }
        let result = PolicyParser.parse(bytes)
        for diagnostic in result.diagnostics {
            report.add(diagnostic, path: path)
        }
        if let policy = result.policy, !rejected {
            var loaded = LoadedPolicy(domain: domain, path: path, policy: policy)
            loaded.signature = signature
            var link = stat()
            loaded.isAlias = lstat(path, &link) == 0 && link.st_mode & S_IFMT == S_IFLNK
            report.policies.append(loaded)
        } else {
            report.rejectedFiles.append(path)
        }
    }
}
