import Glibc
import FileSystem

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

    /// Loads every pair found; a bad pair is reported and skipped, never fatal for the others. A root that cannot
    /// be listed gives an empty result with `rootError` set: the caller keeps what it had.
    ///
    /// With `parseLimit`, at most that many changed pairs are read in this pass, those not in `attemptedBefore`
    /// first; the rest keep their previous pair under its old signature, so the next pass sees them as changed
    /// still. A mass re-issue then replaces a batch at a time, and memory holds one batch twice, not every pair.
    /// Directories in `excluding` (the state directory) are never walked; validity is judged at `now`.
    public static func load(directory: String, previous: PreviousPairs = PreviousPairs([]), parseLimit: Int? = nil,
                            attemptedBefore: Set<Candidate> = [], excluding: [String] = [],
                            now: Int = Int(Glibc.time(nil))) -> LoadResult {
        var result = LoadResult()
        let scan: Scan
        do {
            scan = try self.scan(directory, excluding: excluding)
        } catch {
            result.rootError = error
            result.problems.append("\(directory): \(error)")
            return result
        }
        result.symlinksNotFollowed = scan.symlinksNotFollowed
        result.unreadableDirectories = scan.unreadableDirectories
        var toParse: [(candidate: Candidate, earlier: CertificateKeyPair?)] = []
        for candidate in scan.candidates {
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
        for (item, outcome) in zip(toParse, parseInParallel(toParse, now: now)) {
            let path = item.candidate.certificatePath
            switch outcome {
            case .success(let loaded):
                result.pairs.append(loaded.pair)
                if loaded.parsed { result.parsedCount += 1 }
                if loaded.keyReadableByOthers {
                    result.keysReadableByOthers.append(item.candidate.keyPath)
                }
                result.pairWarnings += loaded.warnings.map { PairMessage(certificatePath: path, message: $0) }
            case .failure(let error):
                result.parsedCount += 1
                let rejection = error as? CertificateRejection
                result.rejectedPairs.append(PairMessage(certificatePath: path, message: rejection?.message ?? "\(error)"))
                if let earlier = item.earlier {
                    result.problems.append(problem("kept the previous", path, error))
                    result.keptPrevious.append(path)
                    result.pairs.append(earlier)
                } else {
                    result.problems.append(problem("skipped", path, error))
                }
            }
        }
        return result
    }

    /// `skipped <certificate>: <why>`, naming each file once: a key mismatch names both files itself.
    private static func problem(_ action: String, _ certificatePath: String, _ error: Error) -> String {
        guard let rejection = error as? CertificateRejection else { return "\(action) \(certificatePath): \(error)" }
        if case .keyMismatch = rejection.reason { return "\(action): \(rejection.message)" }
        return "\(action) \(certificatePath): \(rejection.message)"
    }

    /// Parses on every CPU: OpenSSL's parsing is most of a large load. More lanes than CPUs keep the disk busy on a
    /// cold start: with the files out of the page cache, a lane per CPU would leave a CPU idle while its lane waits
    /// for a read.
    private static func parseInParallel(_ items: [(candidate: Candidate, earlier: CertificateKeyPair?)], now: Int)
        -> [Result<CertificateLoader.Loaded, Error>] {
        Lanes.map(count: items.count, label: "mta-sts-host.certificates") {
            let loader = CertificateLoader()
            return { index in
                let (candidate, earlier) = items[index]
                return Result {
                    try loader.load(certificatePath: candidate.certificatePath, keyPath: candidate.keyPath,
                                    earlier: earlier, now: now)
                }
            }
        }
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
