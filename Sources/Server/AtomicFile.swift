import Glibc
import Reactor

/// Tells scripts and tests where the server listens, once it accepts: one address per line, written atomically.
enum ReadyFile {
    static func write(_ lines: [String], to path: String) throws {
        let temporary = path + ".tmp"
        let text = lines.map { $0 + "\n" }.joined()
        guard let file = fopen(temporary, "w") else { throw SocketError("open \(temporary)") }
        fputs(text, file)
        guard fclose(file) == 0, rename(temporary, path) == 0 else { throw SocketError("write \(path)") }
    }
}
