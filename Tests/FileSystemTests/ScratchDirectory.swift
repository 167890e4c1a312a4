import FileSystem
import Glibc

/// A temporary directory for one test, removed with everything in it when the value goes away.
final class ScratchDirectory {
    let path: String

    init() {
        var template = Array("/tmp/filesystem-tests.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: made!)
    }

    deinit { Self.remove(path) }

    func file(_ name: String) -> String { joinPath(path, name) }

    func write(_ name: String, _ text: String, mode: mode_t = 0o644) {
        let descriptor = open(file(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        precondition(descriptor >= 0)
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }

    /// Names in the directory, sorted.
    func names() -> [String] {
        guard case .success(let entries) = DirectoryListing.entries(of: path) else { return [] }
        return entries.map(\.name).sorted()
    }

    private static func remove(_ path: String) {
        if case .success(let entries) = DirectoryListing.entries(of: path) {
            for entry in entries {
                let child = joinPath(path, entry.name)
                if entry.type == DT_DIR { remove(child) } else { unlink(child) }
            }
        }
        rmdir(path)
    }
}
