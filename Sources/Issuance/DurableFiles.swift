import FileSystem
import Glibc

// TEMPORARY: replaced by the FileSystem module's shared atomic write once merged.
struct FileError: Error, CustomStringConvertible {
    let description: String
    init(_ operation: String) { description = "\(operation): \(String(cString: strerror(errno)))" }
}

func makeDirectory(_ path: String, mode: mode_t) throws {
    if mkdir(path, mode) != 0 && errno != EEXIST { throw FileError("mkdir \(path)") }
}

func writeDurably(_ text: String, to path: String, mode: mode_t) throws {
    let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
    let temporary = path + ".tmp"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard descriptor >= 0 else { throw FileError("create \(temporary)") }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    guard written == bytes.count, fchmod(descriptor, mode) == 0, fsync(descriptor) == 0 else {
        close(descriptor)
        unlink(temporary)
        throw FileError("write \(temporary)")
    }
    close(descriptor)
    guard rename(temporary, path) == 0 else { throw FileError("rename \(temporary)") }
    let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directoryDescriptor >= 0 {
        fsync(directoryDescriptor)
        close(directoryDescriptor)
    }
}
