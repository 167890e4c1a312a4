import FileSystem
import Glibc

extension CertificateDirectory {
    /// A message about one pair, by its certificate file.
    public struct PairMessage: Sendable, Equatable, CustomStringConvertible {
        public let certificatePath: String
        public let message: String

        public var description: String { "\(certificatePath): \(message)" }

        /// One line per distinct message: a private CA's 50,000 certificates give one "chain incomplete" line that
        /// names a few of them and counts the rest, not 50,000 lines.
        public static func grouped(_ messages: [PairMessage], examples: Int = 3) -> [String] {
            var order: [String] = []
            var paths: [String: [String]] = [:]
            for item in messages {
                if paths[item.message] == nil { order.append(item.message) }
                paths[item.message, default: []].append(item.certificatePath)
            }
            return order.map { message in
                let files = paths[message]!
                guard files.count > 1 else { return "\(files[0]): \(message)" }
                let more = files.count > examples ? ", and \(files.count - examples) more" : ""
                return "\(files.count) certificates: \(message) (\(files.prefix(examples).joined(separator: ", "))\(more))"
            }
        }
    }

    public struct LoadResult: Sendable {
        public var pairs: [CertificateKeyPair] = []
        /// Set when the root itself could not be listed (gone, not a directory, no permission): the result is then
        /// empty, and the caller should keep the pairs of its last good load.
        public var rootError: SystemError?
        /// One line per pair that was skipped or kept from before (and one for an unreadable root).
        public var problems: [String] = []
        /// Pairs read in this pass and refused (`CertificateRejection` or unreadable), with why.
        public var rejectedPairs: [PairMessage] = []
        /// Pairs read in this pass and served, with what needs the operator: near expiry, chain incomplete.
        public var pairWarnings: [PairMessage] = []
        /// `<link>: directory symlink leaves <root>; not followed`, once per link.
        public var symlinksNotFollowed: [String] = []
        /// `cannot read directory <path>: <reason>` for each directory below the root that could not be read.
        public var unreadableDirectories: [SystemError] = []
        /// Key files whose mode lets other users read them.
        public var keysReadableByOthers: [String] = []
        /// The warnings about pairs for the log: readable keys, then pair warnings (symlinks not followed and
        /// unreadable directories are the caller's to report: once per link, and as load problems).
        public var warnings: [String] {
            keysReadableByOthers.map { "\($0): private key is readable by other users; chmod 600 it" }
                + PairMessage.grouped(pairWarnings)
        }
        /// Pairs parsed afresh (the rest were reused: same file signature, or same bytes).
        public var parsedCount = 0
        /// Certificate files whose new content was rejected while the previous pair stays in service.
        public var keptPrevious: [String] = []
        /// Changed pairs left for a later pass by `parseLimit` (their previous pair, if any, still serves).
        public var deferredCount = 0
        /// Pairs this pass read afresh (parsed, found unchanged in content, or failed).
        public var attempted: [Candidate] = []

        /// Adds what a second root gave (the issued certificates). That root failing to list is one unreadable
        /// directory of the whole, so its last good pairs are kept as for any other; a root not made yet is empty.
        public mutating func add(_ other: LoadResult) {
            pairs += other.pairs
            if let error = other.rootError, error.code != ENOENT {
                unreadableDirectories.append(error)
            }
            problems += other.rootError == nil ? other.problems : []
            rejectedPairs += other.rejectedPairs
            pairWarnings += other.pairWarnings
            symlinksNotFollowed += other.symlinksNotFollowed
            unreadableDirectories += other.unreadableDirectories
            keysReadableByOthers += other.keysReadableByOthers
            parsedCount += other.parsedCount
            keptPrevious += other.keptPrevious
            deferredCount += other.deferredCount
            attempted += other.attempted
        }
    }

    /// A directory of the tree that could not be read: `cannot read directory <path>: <reason>`.
    static func unreadableDirectory(_ path: String, code: Int32 = errno) -> SystemError {
        SystemError("cannot read directory", path: path, code: code)
    }
}
