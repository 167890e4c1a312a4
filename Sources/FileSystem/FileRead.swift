import Glibc

/// A whole file's bytes, and the status of the very file read (not of whatever the path names a moment later):
/// callers take its signature and mode from here, so a write racing with the read shows up as a change next time.
public struct FileContents {
    public var bytes: [UInt8]
    public let status: stat
}

/// Why `readFile` returned no bytes.
public enum FileReadError: Error, CustomStringConvertible, Equatable {
    /// open, fstat or read failed (the operation is `open`, `stat` or `read`, with the path).
    case failed(SystemError)
    /// A directory, FIFO, socket or device.
    case notRegularFile
    /// Over the limit: the size fstat reported, or the bytes read once the file grew past it.
    case tooLarge(bytes: Int)

    public var description: String {
        switch self {
        case .failed(let error): "\(error)"
        case .notRegularFile: "not a regular file"
        case .tooLarge(let bytes): "file is \(bytes) bytes"
        }
    }
}

/// Reads a regular file of at most `limit` bytes. O_NONBLOCK keeps a FIFO by a watched name from hanging the
/// reader (it is refused as not a regular file); it changes nothing for regular files.
public func readFile(_ path: String, limit: Int) throws(FileReadError) -> FileContents {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else { throw .failed(SystemError("open", path: path)) }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { throw .failed(SystemError("stat", path: path)) }
    guard status.st_mode & S_IFMT == S_IFREG else { throw .notRegularFile }
    guard status.st_size <= limit else { throw .tooLarge(bytes: Int(status.st_size)) }
    // Read in place, one byte more than the size to notice growth: the bytes (a private key, say) are not copied
    // elsewhere unless the file grows while being read, and the buffer with it.
    var bytes = [UInt8](repeating: 0, count: Int(status.st_size) + 1)
    var filled = 0
    while true {
        if filled == bytes.count {
            guard bytes.count <= limit else { break }
            bytes += [UInt8](repeating: 0, count: min(bytes.count, limit + 1 - bytes.count))
        }
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
        if count < 0, errno == EINTR { continue }
        if count < 0 { throw .failed(SystemError("read", path: path)) }
        if count == 0 { break }
        filled += count
    }
    guard filled <= limit else { throw .tooLarge(bytes: filled) }
    bytes.removeLast(bytes.count - filled)
    return FileContents(bytes: bytes, status: status)
}
