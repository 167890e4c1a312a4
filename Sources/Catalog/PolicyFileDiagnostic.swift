import MTASTS

/// A policy diagnostic and the file it is about: what `check` prints and the server logs.
public struct PolicyFileDiagnostic: Sendable, CustomStringConvertible {
    public var path: String
    public var diagnostic: Diagnostic

    public init(path: String, diagnostic: Diagnostic) {
        self.path = path
        self.diagnostic = diagnostic
    }

    /// `path:line:col: severity: message` like a compiler (editors jump to it), then `  fix: ...` on its own
    /// line. File-level findings (line 0: the name, reading it) print as `path: severity: message`.
    public var description: String {
        path + (diagnostic.line > 0 ? ":" : ": ") + diagnostic.description
    }
}
