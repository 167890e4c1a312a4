import Dispatch

/// Decides when a changed file is ready to be read (pure, for tests): a file being written is reported when its
/// writer closes it, not at its first write, so a policy written line by line with pauses is never read half-way.
/// A writer that never closes (or whose close was lost) is given up on `timeout` after its last write.
public struct PendingWrites: Sendable {
    /// What happened to one path, as far as this decision cares.
    public enum Event: Sendable, Equatable {
        /// A new regular file was created or a file was written to (IN_CREATE of a regular file, IN_MODIFY).
        case written
        /// A writer closed the file (IN_CLOSE_WRITE).
        case closed
        /// The entry at the path is another one now, or none: renamed in or out, deleted, or created as a symlink
        /// or directory. Whatever was being written there is no longer.
        case replaced
        /// Owner, mode or times changed (IN_ATTRIB): news only for a file nobody is writing.
        case attributesChanged
    }

    public let timeout: DispatchTimeInterval
    /// Paths being written, to when they are reported without a close.
    private var deadlines: [String: DispatchTime] = [:]

    public init(timeout: DispatchTimeInterval = .seconds(5)) {
        self.timeout = timeout
    }

    /// The paths written to and not yet closed: their previous contents are the last complete ones.
    public var paths: Set<String> { Set(deadlines.keys) }

    /// When `expire(at:)` has something to report next; nil while nothing is being written.
    public var nextDeadline: DispatchTime? { deadlines.values.min() }

    /// Notes `event` on `path` at `now`; true when the path is to be reported now.
    public mutating func note(_ event: Event, path: String, at now: DispatchTime) -> Bool {
        switch event {
        case .written:
            deadlines[path] = now + timeout
            return false
        case .closed, .replaced:
            deadlines[path] = nil
            return true
        case .attributesChanged:
            // The close that ends the write reports it, with its contents complete.
            return deadlines[path] == nil
        }
    }

    /// The paths whose writers have been silent for `timeout` without closing: reported anyway, in order.
    public mutating func expire(at now: DispatchTime) -> [String] {
        let due = deadlines.filter { $0.value <= now }.keys.sorted()
        for path in due { deadlines[path] = nil }
        return due
    }

    /// Forgets the writes in `directory` and below (it was moved away or replaced: no close will be seen there).
    public mutating func forget(under directory: String) {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        deadlines = deadlines.filter { !$0.key.hasPrefix(prefix) && $0.key != directory }
    }
}
