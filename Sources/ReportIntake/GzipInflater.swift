internal import CZlib

/// gunzip through zlib (CZlib, imported here only), streamed into a buffer that may not grow past a cap: a gzip
/// bomb costs at most the cap plus one chunk, however far it would expand.
enum GzipInflater {
    enum Failure: Error, Equatable {
        /// The stream ended before the gzip trailer.
        case truncated
        /// Not gzip, or damaged (zlib's message).
        case corrupt(String)
        /// Would inflate past the cap.
        case tooLarge
    }

    static let chunk = 64 * 1024

    static func inflate(_ input: [UInt8], limit: Int) -> Result<[UInt8], Failure> {
        var stream = z_stream()
        guard czlib_inflate_init_gzip(&stream) == Z_OK else { return .failure(.corrupt("inflateInit failed")) }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        return input.withUnsafeBytes { source -> Result<[UInt8], Failure> in
            stream.next_in = UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(source.count)
            while true {
                let (status, produced) = buffer.withUnsafeMutableBytes { target -> (Int32, Int) in
                    stream.next_out = target.bindMemory(to: Bytef.self).baseAddress
                    stream.avail_out = uInt(target.count)
                    let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return (status, target.count - Int(stream.avail_out))
                }
                if output.count + produced > limit { return .failure(.tooLarge) }
                output.append(contentsOf: buffer[0..<produced])
                switch status {
                case Z_STREAM_END: return .success(output)
                case Z_OK: continue
                case Z_BUF_ERROR:
                    // No progress possible: the input ran out before the end of the stream.
                    return .failure(.truncated)
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    return .failure(.corrupt(message))
                }
            }
        }
    }

    /// The gzip magic bytes (RFC 1952): a body is inflated when it starts with them, whatever its Content-Type.
    static func looksCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }
}
