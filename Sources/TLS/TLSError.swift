internal import COpenSSL

/// An OpenSSL failure: the operation that failed and the messages drained from OpenSSL's thread-local error queue.
public struct TLSError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let reasons: [String]

    public init(_ operation: String, reasons: [String]) {
        self.operation = operation
        self.reasons = reasons
    }

    /// Captures (and clears) the calling thread's OpenSSL error queue.
    static func drain(_ operation: String) -> TLSError {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return TLSError(operation, reasons: reasons)
    }

    public var description: String {
        reasons.isEmpty ? operation : "\(operation): \(reasons.joined(separator: "; "))"
    }
}
