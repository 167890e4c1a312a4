import Glibc

/// A failed system call: what was being done, on which file if any, and errno. The one error type for Glibc
/// failures, from sockets to directory walks, so each caller words the operation and nobody formats errno again.
public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What failed, worded to read before the path: `open`, `cannot read directory`, `bind 0.0.0.0:443`.
    public var operation: String
    /// The file or directory it failed on, when there is one (callers match and group by it).
    public var path: String?
    /// errno.
    public var code: Int32

    /// - Parameter code: errno by default, read when the error is made, so make it right after the failed call.
    public init(_ operation: String, path: String? = nil, code: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// strerror's text for `code`.
    public var reason: String { String(cString: strerror(code)) }

    /// `operation path: reason`, the form the log and the command-line tools show.
    public var description: String {
        if let path { return "\(operation) \(path): \(reason)" }
        return "\(operation): \(reason)"
    }
}
