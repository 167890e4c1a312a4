import ArgumentParser
import Catalog
import FileSystem
import Glibc
import MTASTS

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what a running `serve` is serving: per domain its state, policy id, mode, source and errors.",
        discussion: """
        Reads the status.json that `serve` rewrites in its --state-dir after every load and every minute.

        --check exits 0 only when the server that wrote it is running, the file is fresh (--max-age), no source \
        is unreadable and every domain is served (a valid policy and a usable certificate); otherwise it prints \
        one FAIL line per problem and exits 1. Add --process-only for container health checks, where one \
        customer's missing certificate must not get the whole server restarted.
        """)

    @Option(help: "The --state-dir of the running server.")
    var stateDir = ".state"

    @Option(help: "text or json (the file as written).")
    var format: OutputFormat = .text

    @Flag(help: "Health check: exit 0 and print `ok: ...` when healthy, else `FAIL: ...` lines and exit 1.")
    var check = false

    @Flag(help: "With --check: judge only that the server runs and keeps its status fresh.")
    var processOnly = false

    @Option(help: "With --check: the oldest status accepted, in seconds (the server rewrites it every 60 s).")
    var maxAge = 180

    enum OutputFormat: String, ExpressibleByArgument { case text, json }

    func run() throws {
        let path = joinPath(stateDir, "status.json")
        let text: String
        do {
            text = String(decoding: try readFile(path, limit: Self.maximumStatusBytes).bytes, as: UTF8.self)
        } catch {
            let reason = if case .failed(let failure) = error { failure.reason } else { "\(error)" }
            let shown = resolvedPath(stateDir).map { joinPath($0, "status.json") } ?? Self.absolute(path)
            StandardError.print("""
                \(check ? "FAIL: " : "")cannot read \(shown): \(reason)
                Is `mta-sts-host serve` running? Point this command at the directory it was given: \
                mta-sts-host status --state-dir DIR (serve's --state-dir, default .state in its working directory).
                """)
            throw ExitCode.failure
        }
        let status = try StatusTable.decode(json: text)
        if check {
            let failures = StatusCheck.failures(status.facts, running: ProcessIdentity.of(pid: status.facts.writer.pid),
                                                now: time(nil), maxAge: maxAge, processOnly: processOnly)
            if failures.isEmpty {
                print(StatusTable.summary(status))
                return
            }
            failures.forEach { print("FAIL: " + PlainText.escaped($0)) }
            throw ExitCode.failure
        }
        if format == .json {
            print(text, terminator: "")
            return
        }
        print(StatusTable.render(status, now: time(nil)))
    }

    /// status.json names every domain: generous, but not unbounded (a wrong path could name a huge file).
    static let maximumStatusBytes = 256 << 20

    private static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/"), let directory = getcwd(nil, 0) else { return path }
        defer { free(directory) }
        return joinPath(String(cString: directory), path)
    }
}
