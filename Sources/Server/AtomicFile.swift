import Glibc
import Reactor

/// Writes a whole file at once (temporary file + rename), so readers never see half of it.
enum AtomicFile {
    static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp"
        guard let file = fopen(temporary, "w") else { throw SocketError("open \(temporary)") }
        fputs(text, file)
        guard fclose(file) == 0, rename(temporary, path) == 0 else { throw SocketError("write \(path)") }
    }
}
