/// What `status --check` judges, from a status document (pure, for tests): the writer still running, the
/// document fresh, and every domain served.
public enum StatusCheck {
    public struct Facts: Sendable {
        public var generatedAt: Int
        public var writer: ProcessIdentity
        public var problems: [String]
        /// Domain and its state (`DomainState` raw values).
        public var domainStates: [(domain: String, state: String)]
        public var rejectedPolicyFiles: [String]
        public var certificateProblems: [String]

        public init(generatedAt: Int, writer: ProcessIdentity, problems: [String],
                    domainStates: [(domain: String, state: String)], rejectedPolicyFiles: [String],
                    certificateProblems: [String]) {
            self.generatedAt = generatedAt
            self.writer = writer
            self.problems = problems
            self.domainStates = domainStates
            self.rejectedPolicyFiles = rejectedPolicyFiles
            self.certificateProblems = certificateProblems
        }
    }

    /// One line per failure; empty when healthy. `running` is the process now holding the writer's pid.
    /// - Parameter processOnly: judge only that the server runs and keeps its status fresh (for container
    ///   health checks: one customer's missing certificate must not get the whole server restarted).
    public static func failures(_ facts: Facts, running: ProcessIdentity?, now: Int, maxAge: Int,
                                processOnly: Bool = false) -> [String] {
        var failures: [String] = []
        if running != facts.writer {
            failures.append("the server that wrote this status (pid \(facts.writer.pid)) is not running")
        } else if now - facts.generatedAt > maxAge {
            failures.append("the status is \(now - facts.generatedAt) s old (more than \(maxAge) s): the server "
                + "cannot write its state directory, or is stuck")
        }
        failures += facts.problems
        if processOnly { return failures }
        let failing = facts.domainStates.filter { $0.state != DomainState.served.rawValue }
        for (state, domains) in Dictionary(grouping: failing, by: \.state).sorted(by: { $0.key < $1.key }) {
            let names = domains.map(\.domain).sorted()
            failures.append("\(names.count) domains \(state): \(CatalogDiff.summary(names, limit: 10))")
        }
        failures += facts.rejectedPolicyFiles.map { "rejected policy file: \($0)" }
        failures += facts.certificateProblems.map { "certificate: \($0)" }
        return failures
    }
}
