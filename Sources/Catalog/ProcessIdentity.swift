import FileSystem
import Glibc

/// A process told apart from a later one that reuses its pid: the pid and its start time in clock ticks since
/// boot (`/proc/<pid>/stat` field 22). `status --check` compares both before believing a status file.
public struct ProcessIdentity: Equatable, Sendable {
    public let pid: Int32
    public let startTicks: UInt64

    public init(pid: Int32, startTicks: UInt64) {
        self.pid = pid
        self.startTicks = startTicks
    }

    public static var current: ProcessIdentity? { of(pid: getpid()) }

    /// The running process with this pid, or nil when there is none (or /proc cannot be read).
    public static func of(pid: Int32) -> ProcessIdentity? {
        guard pid > 0, let contents = try? readFile("/proc/\(pid)/stat", limit: 4096) else { return nil }
        let line = String(decoding: contents.bytes, as: UTF8.self)
        return startTicks(statLine: line).map { ProcessIdentity(pid: pid, startTicks: $0) }
    }

    /// Field 22 of a `/proc/<pid>/stat` line. The command name (field 2) may hold spaces and parentheses, so
    /// fields are counted from the last `)`.
    static func startTicks(statLine: String) -> UInt64? {
        guard let close = statLine.lastIndex(of: ")") else { return nil }
        let fields = statLine[statLine.index(after: close)...].split(separator: " ")
        // After the name come field 3 (state) onwards: field 22 is the 20th.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }
}
