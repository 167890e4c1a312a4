/// Accumulates the header fields routing cares about, rejecting the malformed and the ambiguous.
struct HeaderFields {
    private var host: String?
    private var hostCount = 0
    private var contentLength: Int?
    private var hasTransferEncoding = false
    private var connectionTokens: [String] = []
    private var ifNoneMatch: String?

    /// Takes one field line; returns a status when the line makes the request invalid.
    mutating func absorb(_ line: UnsafeRawBufferPointer) -> HTTPStatus? {
        // obs-fold (a continuation line) is rejected, as RFC 9112 §5.2 allows.
        guard let first = line.first, first != HTTP1HeadReader.space, first != tab,
              let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
              line[..<colon].allSatisfy(isTokenByte)
        else { return .badRequest }
        let rawValue = line[(colon + 1)...]
        guard rawValue.allSatisfy({ $0 == tab || ($0 >= 32 && $0 != 127) }) else { return .badRequest }
        let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
        let value = trimmed(rawValue)
        switch name {
        case "host":
            hostCount += 1
            host = value
        case "content-length":
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), value.utf8.count <= 18,
                  let length = Int(value), contentLength == nil || contentLength == length
            else { return .badRequest }
            contentLength = length
        case "transfer-encoding":
            hasTransferEncoding = true
        case "connection":
            connectionTokens += value.lowercased().split(separator: ",").map { $0.trimmingSpaces() }
        case "if-none-match":
            ifNoneMatch = value
        default:
            break
        }
        return nil
    }

    /// Applies what was read to the request; returns a status when the combination is invalid.
    func apply(to request: inout HTTPRequestHead) -> HTTPStatus? {
        if hostCount > 1 { return .badRequest }
        if request.version == .http11, hostCount == 0 { return .badRequest }
        if let host, request.host == nil {
            guard let normalized = HostName.normalize(host) else { return .badRequest }
            request.host = normalized
        }
        if hasTransferEncoding, contentLength != nil { return .badRequest }
        request.hasBody = hasTransferEncoding || (contentLength ?? 0) > 0
        if connectionTokens.contains("close") {
            request.keepAlive = false
        } else if connectionTokens.contains("keep-alive") {
            request.keepAlive = true
        }
        request.ifNoneMatch = ifNoneMatch
        return nil
    }

    /// Without OWS; trimmed as bytes, before the String is made.
    private func trimmed(_ bytes: UnsafeRawBufferPointer.SubSequence) -> String {
        guard let first = bytes.firstIndex(where: { $0 != HTTP1HeadReader.space && $0 != tab }),
              let last = bytes.lastIndex(where: { $0 != HTTP1HeadReader.space && $0 != tab })
        else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}

private let tab: UInt8 = 9

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's OWS).
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
