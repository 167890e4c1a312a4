import ArgumentParser
import Glibc

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what a running `serve` is serving: per domain the policy id, mode, source file and pending errors.",
        discussion: "Reads the status.json that `serve` rewrites in its --state-dir after every load and reload.")

    @Option(help: "The --state-dir of the running server.")
    var stateDir = ".state"

    @Option(help: "text or json (the file as written).")
    var format: OutputFormat = .text

    @Flag(help: "Health check: exit 0 when the server has written a readable status, print one line.")
    var check = false

    enum OutputFormat: String, ExpressibleByArgument { case text, json }

    func run() throws {
        let path = stateDir + "/status.json"
        guard let file = fopen(path, "r") else {
            throw ValidationError("cannot read \(path): \(String(cString: strerror(errno))) (is `serve` running with --state-dir \(stateDir)?)")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if check {
            print(try StatusTable.summary(json: text))
            return
        }
        if format == .json {
            print(text, terminator: "")
            return
        }
        print(try StatusTable.render(json: text))
    }
}
