import MTASTS

/// `policy-syntax`: the fetched body through the project's own validator, and against the local file.
enum PolicySyntaxCheck {
    /// The result, and the policy senders would apply (nil when they would apply none).
    static func evaluate(_ body: [UInt8]?, url: String, local: [UInt8]?) -> (CheckResult, Policy?) {
        func result(_ status: CheckStatus, _ message: String) -> CheckResult {
            CheckResult(.policySyntax, url, status, message)
        }
        guard let body else { return (result(.skip, "no policy fetched (see policy-fetch)"), nil) }
        let parsed = PolicyParser.parse(body)
        guard let policy = parsed.policy, !parsed.hasErrors else {
            let errors = parsed.diagnostics.filter { $0.severity == .error }
            let first = errors.first.map(oneLine) ?? "not a policy"
            let more = errors.count > 1 ? " (and \(errors.count - 1) more error\(errors.count == 2 ? "" : "s"))" : ""
            return (result(.fail, "senders reject this policy: \(first)\(more)"), nil)
        }
        if let local, policy.canonicalBytes != local {
            return (result(.fail, "the served policy differs from the local file: reload the server, or look for another host answering for this name"), policy)
        }
        if let warning = parsed.diagnostics.first(where: { $0.severity == .warning }) {
            return (result(.warn, oneLine(warning)), policy)
        }
        let comparison = local == nil ? "" : ", same as the local file"
        return (result(.pass, "valid, mode \(policy.mode.rawValue), max_age \(policy.maxAge)\(comparison)"), policy)
    }

    /// `line 3: message; fix: ...`: one line of the report.
    private static func oneLine(_ diagnostic: Diagnostic) -> String {
        let place = diagnostic.line > 0 ? "line \(diagnostic.line): " : ""
        return place + diagnostic.message + (diagnostic.fix.map { "; fix: \($0)" } ?? "")
    }
}
