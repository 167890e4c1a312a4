import Glibc

/// Notes for humans that must not mix with the machine-readable stdout of `dns` and `check --format json`.
/// A plain write(2): the C `stderr` global is not concurrency-safe in Swift 6.
enum StandardError {
    static func print(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
