/// What the parser found: a policy exactly when there is no error, and every diagnostic in file order
/// (file-level findings such as a missing key come last).
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
