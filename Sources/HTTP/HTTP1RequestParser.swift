/// Parses one HTTP/1.1 request head from the front of a byte buffer, in place.
///
/// Incremental: the caller keeps unconsumed bytes and calls again when more arrive, passing how far the previous
/// call scanned, so a head trickled in byte by byte is scanned once. Strict on purpose (RFC 9112): bare LF, obs-fold,
/// control bytes and whitespace before a colon are rejected rather than guessed at.
public enum HTTP1RequestParser {
    public struct Limits: Sendable {
        /// The whole head, request line included.
        public var maxHeadBytes = 8192
        public var maxRequestLineBytes = 2048
        public init() {}
    }

    public enum Result: Equatable {
        /// No complete head yet; `scanned` bytes hold no head end and need not be scanned again.
        case incomplete(scanned: Int)
        case request(HTTPRequestHead, consumed: Int)
        /// The head is unacceptable: answer with this status and close.
        case invalid(HTTPStatus)
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, scannedBefore: Int = 0, limits: Limits = Limits()) -> Result {
        // Tolerate empty lines before a request (RFC 9112 §2.2), as left by some pipelining clients.
        var start = 0
        while start + 1 < bytes.count, bytes[start] == cr, bytes[start + 1] == lf { start += 2 }

        guard let end = headEnd(bytes, from: max(start, scannedBefore - 3)) else {
            let pending = bytes.count - start
            if !containsLineEnd(bytes, from: start), pending > limits.maxRequestLineBytes { return .invalid(.uriTooLong) }
            // Up to three bytes of the final CRLFCRLF may still be missing from a head that is within the limit.
            if pending > limits.maxHeadBytes + 3 { return .invalid(.headerFieldsTooLarge) }
            if containsBareLineFeed(bytes, from: start) { return .invalid(.badRequest) }
            return .incomplete(scanned: bytes.count)
        }
        if end - start > limits.maxHeadBytes { return .invalid(.headerFieldsTooLarge) }
        let head = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        switch HTTP1HeadReader.read(head, limits: limits) {
        case .success(let request): return .request(request, consumed: end + 4)
        case .failure(let status): return .invalid(status)
        }
    }

    /// Offset of the CRLFCRLF that ends the head.
    private static func headEnd(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        var index = from
        while index + 3 < bytes.count {
            if bytes[index + 3] != lf { index += bytes[index + 3] == cr ? 1 : 4; continue }
            if bytes[index] == cr, bytes[index + 1] == lf, bytes[index + 2] == cr { return index }
            index += 1
        }
        return nil
    }

    private static func containsLineEnd(_ bytes: UnsafeRawBufferPointer, from: Int) -> Bool {
        bytes[from...].contains(lf)
    }

    private static func containsBareLineFeed(_ bytes: UnsafeRawBufferPointer, from: Int) -> Bool {
        var index = from
        while index < bytes.count {
            if bytes[index] == lf, index == from || bytes[index - 1] != cr { return true }
            index += 1
        }
        return false
    }
}

let cr: UInt8 = 13
let lf: UInt8 = 10
