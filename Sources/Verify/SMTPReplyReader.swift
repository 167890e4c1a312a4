/// One SMTP reply (RFC 5321 §4.2): its code and the text of each line.
struct SMTPReply: Sendable, Equatable {
    let code: Int
    let lines: [String]

    /// The EHLO keywords (the first word of each line after the greeting line), upper-cased.
    var extensions: [String] {
        lines.dropFirst().compactMap { $0.split(separator: " ").first.map { $0.uppercased() } }
    }

    /// The reply as the server sent it, for messages: `554 5.7.1 go away`.
    var summary: String { "\(code) " + (lines.first ?? "") }
}

/// Splits the bytes an SMTP server sends into replies: lines `ddd-text` continue a reply, `ddd text` or `ddd`
/// ends it. Pure; bounded, so a server that never ends a reply cannot make the reader grow.
struct SMTPReplyReader {
    enum Failure: Error, Equatable { case malformed(String), tooLong }

    static let maximumBytes = 64 * 1024
    private var buffer: [UInt8] = []
    private var pending: [String] = []
    private var pendingCode: Int?
    /// The buffer and the lines of the reply so far count against `maximumBytes` together.
    private var pendingBytes = 0

    mutating func append(_ bytes: some Collection<UInt8>) throws(Failure) {
        buffer += bytes
        if pendingBytes + buffer.count > Self.maximumBytes { throw .tooLong }
    }

    /// The next complete reply, or nil until more bytes arrive.
    mutating func next() throws(Failure) -> SMTPReply? {
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = buffer[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            buffer.removeSubrange(...newline)
            let text = String(decoding: line, as: UTF8.self)
            let digits = text.prefix(3)
            guard digits.count == 3, digits.allSatisfy(\.isNumber), let code = Int(digits) else {
                throw .malformed(text)
            }
            if let pendingCode, pendingCode != code { throw .malformed(text) }
            let separator = text.dropFirst(3).first
            guard separator == nil || separator == " " || separator == "-" else { throw .malformed(text) }
            pending.append(String(text.dropFirst(4)))
            pendingCode = code
            pendingBytes += newline + 1
            if separator != "-" {
                defer { pending = []; pendingCode = nil; pendingBytes = 0 }
                return SMTPReply(code: code, lines: pending)
            }
        }
        return nil
    }
}
