/// What the parser found: a policy exactly when there is no error, and every diagnostic by line and column (a
/// missing key is reported at 1:1, before later lines; findings at one position keep the order they were found in).
public struct PolicyParseResult: Sendable {
    /// nil if and only if `diagnostics` contains an error.
    public var policy: Policy?
    public var diagnostics: [Diagnostic]

    public var hasErrors: Bool {
        diagnostics.contains { $0.severity == .error }
    }

    init(policy: Policy?, diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
        self.policy = diagnostics.contains { $0.severity == .error } ? nil : policy
    }
}
