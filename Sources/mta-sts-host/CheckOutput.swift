import MTASTS
import Catalog

/// Renders a `check` report: compiler-style text for people, one JSON object for automation.
enum CheckOutput {
    /// The certificate files that serve one policy's host (`check --certs`).
    struct Coverage {
        let domain: String
        let path: String
        let host: String
        let files: [String]
    }

    /// Every diagnostic (`path:line:col: severity: message`, then `  fix: ...`), then with --certs which files
    /// serve each policy (`path: served with file`), then the summary line.
    static func text(_ report: PolicyDirectoryReport, coverage: [Coverage]? = nil) -> String {
        var out = ""
        // File names can hold control characters: escaped, they cannot forge a line or drive the terminal.
        for item in report.diagnostics {
            var shown = item
            shown.path = PlainText.escaped(item.path)
            out += "\(shown)\n"
        }
        for item in coverage ?? [] where !item.files.isEmpty {
            out += PlainText.escaped("\(item.path): served with \(item.files.joined(separator: ", "))") + "\n"
        }
        return out + summary(report) + "\n"
    }

    /// `checked 3 policies: 2 valid, 1 rejected, 1 error, 2 warnings`
    static func summary(_ report: PolicyDirectoryReport) -> String {
        "checked \(count(report.checkedFileCount, "policy", "policies")): \(report.policies.count) valid, "
            + "\(report.rejectedFiles.count) rejected, \(count(report.errorCount, "error", "errors")), "
            + count(report.warningCount, "warning", "warnings")
    }

    private static func count(_ number: Int, _ one: String, _ many: String) -> String {
        "\(number) \(number == 1 ? one : many)"
    }

    /// `files` lists every file with a finding or a policy (status valid, rejected, or ignored for a
    /// non-policy file that got a warning); `policies` the valid ones as served.
    static func json(_ report: PolicyDirectoryReport, directory: String, strict: Bool,
                     coverage: [Coverage]? = nil) -> JSONValue {
        let valid = Set(report.policies.map(\.path))
        let rejected = Set(report.rejectedFiles)
        let paths = Set(valid).union(rejected).union(report.diagnostics.map(\.path)).sorted()
        let files: [JSONValue] = paths.map { path in
            let status = valid.contains(path) ? "valid" : rejected.contains(path) ? "rejected" : "ignored"
            let domain = PolicyFileName.domain(ofPath: path)
            let diagnostics = report.diagnostics.filter { $0.path == path }.map { diagnosticJSON($0.diagnostic) }
            return .object([
                ("path", .string(path)), ("domain", .optional(domain)), ("status", .string(status)),
                ("diagnostics", .array(diagnostics)),
            ])
        }
        let policies: [JSONValue] = report.policies.map { loaded in
            .object([
                ("domain", .string(loaded.domain)), ("path", .string(loaded.path)), ("id", .string(loaded.id)),
                ("mode", .string(loaded.policy.mode.rawValue)), ("mx", .array(loaded.policy.mx.map(JSONValue.string))),
                ("max_age", .int(loaded.policy.maxAge)),
            ])
        }
        let summary: JSONValue = .object([
            ("checked", .int(report.checkedFileCount)), ("valid", .int(report.policies.count)),
            ("rejected", .int(report.rejectedFiles.count)), ("errors", .int(report.errorCount)),
            ("warnings", .int(report.warningCount)),
        ])
        var fields: [(String, JSONValue)] = [
            ("directory", .string(directory)), ("strict", .bool(strict)), ("files", .array(files)),
            ("policies", .array(policies)), ("summary", summary),
        ]
        if let coverage {
            fields.append(("certificates", .array(coverage.map { item in
                .object([("domain", .string(item.domain)), ("host", .string(item.host)),
                         ("files", .array(item.files.map(JSONValue.string)))])
            })))
        }
        return .object(fields)
    }

    private static func diagnosticJSON(_ diagnostic: Diagnostic) -> JSONValue {
        .object([
            ("severity", .string(diagnostic.severity.rawValue)), ("line", .int(diagnostic.line)),
            ("column", .int(diagnostic.column)), ("message", .string(diagnostic.message)),
            ("fix", .optional(diagnostic.fix)),
        ])
    }
}
