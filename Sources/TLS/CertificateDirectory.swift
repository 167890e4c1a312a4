import Glibc
import Reactor

/// Finds certificate/key pairs below a directory, in the layouts operators already have:
/// certbot (`fullchain.pem` + `privkey.pem`, usually symlinks into `archive/`), Kubernetes TLS secrets
/// (`tls.crt` + `tls.key`, behind `..data` symlinks), and `NAME.crt|NAME.pem` + `NAME.key`.
public enum CertificateDirectory {
    public struct Candidate: Hashable, Sendable {
        public let certificatePath: String
        public let keyPath: String
    }

    /// Pairs loaded before, for an incremental reload: unchanged files are not parsed again, and a pair whose
    /// files became unreadable or mismatched (say, half-written by a renewal) stays as it was.
    public struct PreviousPairs: Sendable {
        let pairs: [Candidate: (signature: [FileSignature?], pair: CertificateKeyPair)]

        public init(_ pairs: [CertificateKeyPair]) {
            var byCandidate: [Candidate: (signature: [FileSignature?], pair: CertificateKeyPair)] = [:]
            for pair in pairs {
                byCandidate[Candidate(certificatePath: pair.certificatePath, keyPath: pair.keyPath)] = (pair.signature, pair)
            }
            self.pairs = byCandidate
        }
    }

    public struct LoadResult: Sendable {
        public var pairs: [CertificateKeyPair] = []
        /// One line per pair that was skipped.
        public var problems: [String] = []
        /// Key files whose mode lets other users read them.
        public var keysReadableByOthers: [String] = []
        /// One line per key file that others can read, for the log.
        public var warnings: [String] {
            keysReadableByOthers.map { "\($0): private key is readable by other users; chmod 600 it" }
        }
        /// Pairs parsed afresh (the rest were reused: same file signature, or same bytes).
        public var parsedCount = 0
        /// Certificate files whose new content was rejected while the previous pair stays in service.
        public var keptPrevious: [String] = []
        /// Changed pairs left for a later pass by `parseLimit` (their previous pair, if any, still serves).
        public var deferredCount = 0
        /// Pairs this pass read afresh (parsed, found unchanged in content, or failed).
        public var attempted: [Candidate] = []
        public var rootError: DirectoryError?
        public var unreadableDirectories: [DirectoryError] = []
        public var rejectedCount = 0
    }

    /// Loads every pair found; a bad pair is reported and skipped, never fatal for the others.
    ///
    /// With `parseLimit`, at most that many changed pairs are read in this pass, those not in `attemptedBefore`
    /// first; the rest keep their previous pair under its old signature, so the next pass sees them as changed
    /// still. A mass re-issue then replaces a batch at a time, and memory holds one batch twice, not every pair.
    public static func load(directory: String, previous: PreviousPairs = PreviousPairs([]), parseLimit: Int? = nil,
                            attemptedBefore: Set<Candidate> = [], excluding: [String] = []) -> LoadResult {
        var result = LoadResult()
        let candidates: [Candidate]
        do {
            candidates = try find(in: directory)
        } catch {
            result.problems.append("\(directory): \(error)")
            return result
        }
        var toParse: [(candidate: Candidate, earlier: CertificateKeyPair?)] = []
        for candidate in candidates {
            let earlier = previous.pairs[candidate]
            if let earlier, earlier.signature == CertificateKeyPair.signature(of: candidate) {
                result.pairs.append(earlier.pair)
            } else {
                toParse.append((candidate, earlier?.pair))
            }
        }
        if let parseLimit, toParse.count > parseLimit {
            // A stable partition: untried pairs first, so that pairs failing on every pass cannot stall the others.
            toParse = toParse.filter { !attemptedBefore.contains($0.candidate) }
                + toParse.filter { attemptedBefore.contains($0.candidate) }
            for item in toParse[parseLimit...] {
                if let earlier = item.earlier { result.pairs.append(earlier) }
            }
            result.deferredCount = toParse.count - parseLimit
            toParse.removeLast(result.deferredCount)
        }
        result.attempted = toParse.map(\.candidate)
        for (item, outcome) in zip(toParse, parseInParallel(toParse)) {
            switch outcome {
            case .success(let loaded):
                result.pairs.append(loaded.pair)
                if loaded.parsed { result.parsedCount += 1 }
                if loaded.keyReadableByOthers {
                    result.keysReadableByOthers.append(item.candidate.keyPath)
                }
            case .failure(let error):
                result.parsedCount += 1
                if let earlier = item.earlier {
                    result.problems.append("kept the previous \(item.candidate.certificatePath): \(error)")
                    result.keptPrevious.append(item.candidate.certificatePath)
                    result.pairs.append(earlier)
                } else {
                    result.problems.append("skipped \(item.candidate.certificatePath): \(error)")
                }
            }
        }
        return result
    }

    /// Parses on every CPU: OpenSSL 3.0 spends ~0.2 ms per pair, which is seconds at 50,000 domains. More lanes than
    /// CPUs keep the disk busy on a cold start: with the files out of the page cache, 1,000 pairs loaded in
    /// 590-615 ms instead of 770-813 ms with one thread per CPU.
    private static func parseInParallel(_ items: [(candidate: Candidate, earlier: CertificateKeyPair?)])
        -> [Result<CertificateLoader.Loaded, Error>] {
        Lanes.map(count: items.count, label: "mta-sts-host.certificates") {
            let loader = CertificateLoader()
            return { index in
                let (candidate, earlier) = items[index]
                return Result {
                    try loader.load(certificatePath: candidate.certificatePath, keyPath: candidate.keyPath, earlier: earlier)
                }
            }
        }
    }

    public struct DirectoryError: Error, CustomStringConvertible {
        public let path: String
        public let errno: Int32
        public var description: String { "cannot read directory \(path): \(String(cString: strerror(errno)))" }
    }

    /// Walks the tree (following symlinks, skipping hidden entries such as Kubernetes' `..2024_...` copies). The
    /// directories just below the root are walked on lanes, as their pairs are parsed: after a reboot, with the tree
    /// out of the page cache, one thread waiting for each directory in turn is most of a cold start.
    public static func find(in root: String) throws -> [Candidate] {
        var info = stat()
        guard stat(root, &info) == 0 else { throw DirectoryError(path: root, errno: errno) }
        guard let listing = list(root) else { throw DirectoryError(path: root, errno: errno) }
        let rootIdentity = DirectoryIdentity(info)
        let subdirectories = listing.subdirectories
        let trees = Lanes.map(count: subdirectories.count, label: "mta-sts-host.certificate-walk") {
            { index in
                var visited: Set<DirectoryIdentity> = [rootIdentity]
                var directories: [WalkedDirectory] = []
                walk(subdirectories[index], visited: &visited, into: &directories)
                return directories
            }
        }
        // A directory reached along several paths (symlinks) counts once, where a single walk would have met it.
        var visited: Set<DirectoryIdentity> = [rootIdentity]
        var found = listing.candidates
        for directory in trees.joined() where visited.insert(directory.identity).inserted {
            found += directory.candidates
        }
        return found
    }

    /// A directory by device and inode: symlinked directories can form loops.
    private struct DirectoryIdentity: Hashable, Sendable {
        let device: UInt64
        let inode: UInt64

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    private struct WalkedDirectory: Sendable {
        let identity: DirectoryIdentity
        let candidates: [Candidate]
    }

    /// Depth first, in name order; unreadable directories below the root are passed over.
    private static func walk(_ path: String, visited: inout Set<DirectoryIdentity>, into directories: inout [WalkedDirectory]) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        let identity = DirectoryIdentity(info)
        guard visited.insert(identity).inserted, let listing = list(path) else { return }
        directories.append(WalkedDirectory(identity: identity, candidates: listing.candidates))
        for subdirectory in listing.subdirectories {
            walk(subdirectory, visited: &visited, into: &directories)
        }
    }

    /// The pairs in one directory and its subdirectories (sorted); nil when it cannot be opened.
    private static func list(_ path: String) -> (candidates: [Candidate], subdirectories: [String])? {
        guard let dir = opendir(path) else { return nil }
        var files = Set<String>()
        var subdirectories: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name.hasPrefix(".") { continue }
            let child = joinPath(path, name)
            // readdir's type saves a stat per entry; symlinks (certbot's live/) and unknown types are resolved.
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): files.insert(name)
            case Int32(DT_DIR): subdirectories.append(child)
            default:
                var childInfo = stat()
                guard stat(child, &childInfo) == 0 else { continue }
                switch childInfo.st_mode & S_IFMT {
                case S_IFDIR: subdirectories.append(child)
                case S_IFREG: files.insert(name)
                default: break
                }
            }
        }
        closedir(dir)
        let candidates = pairs(among: files).map { certificate, key in
            Candidate(certificatePath: joinPath(path, certificate), keyPath: joinPath(path, key))
        }
        return (candidates, subdirectories.sorted())
    }

    /// The certificate/key file names that form pairs within one directory (pure, for tests).
    public static func pairs(among files: Set<String>) -> [(String, String)] {
        var result: [(String, String)] = []
        if files.contains("fullchain.pem"), files.contains("privkey.pem") { result.append(("fullchain.pem", "privkey.pem")) }
        if files.contains("tls.crt"), files.contains("tls.key") { result.append(("tls.crt", "tls.key")) }
        for file in files.sorted() where file.hasSuffix(".key") && file != "tls.key" {
            let stem = String(file.dropLast(4))
            if files.contains(stem + ".crt") {
                result.append((stem + ".crt", file))
            } else if files.contains(stem + ".pem") {
                result.append((stem + ".pem", file))
            }
        }
        return result
    }
}
