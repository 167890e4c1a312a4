import Glibc

/// The policy directory itself could not be read (a bad file is a diagnostic, not an error).
public struct PolicyDirectoryError: Error, Sendable, CustomStringConvertible {
    public var path: String
    /// What failed, e.g. `open`, `read`.
    public var operation: String
    public var errno: Int32

    public init(path: String, operation: String, errno: Int32) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        "cannot \(operation) policy directory \(path): \(String(cString: strerror(errno)))"
    }
}
