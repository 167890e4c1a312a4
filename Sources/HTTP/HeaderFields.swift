import MTASTS

/// Accumulates the header fields routing cares about, rejecting the malformed and the ambiguous.
struct HeaderFields {
    /// The last Host field, normalised; nil when absent or malformed (`hostCount` tells which).
    private var host: String?
    private var hostCount = 0
    private var contentLength: Int?
    private var hasTransferEncoding = false
    private var connectionTokens: [String] = []
    private var ifNoneMatch: String?
    private var contentType: String?

    /// Takes one field line; returns a status when the line makes the request invalid. Names are matched as bytes
    /// and only the values routing reads become Strings: a field nobody reads costs no allocation.
    mutating func absorb(_ line: UnsafeRawBufferPointer) -> HTTPStatus? {
        // obs-fold (a continuation line) is rejected, as RFC 9112 §5.2 allows.
        guard let first = line.first, !ASCII.isSpaceOrTab(first),
              let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
              line[..<colon].allSatisfy(isTokenByte)
        else { return .badRequest }
        let rawValue = line[(colon + 1)...]
        guard rawValue.allSatisfy({ $0 == ASCII.tab || ($0 >= 32 && $0 != 127) }) else { return .badRequest }
        guard let field = Field(name: line[..<colon]) else { return nil }
        let value = trimmed(rawValue)
        switch field {
        case .host:
            hostCount += 1
            host = HostName.normalize(UnsafeRawBufferPointer(rebasing: value))
        case .contentLength:
            guard !value.isEmpty, value.allSatisfy(ASCII.isDigit), value.count <= 18,
                  let length = Int(String(decoding: value, as: UTF8.self)),
                  contentLength == nil || contentLength == length
            else { return .badRequest }
            contentLength = length
        case .transferEncoding:
            hasTransferEncoding = true
        case .connection:
            connectionTokens += String(decoding: value, as: UTF8.self).lowercased().split(separator: ",")
                .map { $0.trimmingSpaces() }
        case .ifNoneMatch:
            ifNoneMatch = String(decoding: value, as: UTF8.self)
        case .contentType:
            contentType = String(decoding: value, as: UTF8.self)
        }
        return nil
    }

    /// Applies what was read to the request; returns a status when the combination is invalid.
    func apply(to request: inout HTTPRequestHead) -> HTTPStatus? {
        if hostCount > 1 { return .badRequest }
        if request.version == .http11, hostCount == 0 { return .badRequest }
        if hostCount == 1, request.host == nil {
            guard let host else { return .badRequest }
            request.host = host
        }
        if hasTransferEncoding, contentLength != nil { return .badRequest }
        request.hasBody = hasTransferEncoding || (contentLength ?? 0) > 0
        request.contentLength = contentLength
        request.isChunked = hasTransferEncoding
        request.contentType = contentType
        if connectionTokens.contains("close") {
            request.keepAlive = false
        } else if connectionTokens.contains("keep-alive") {
            request.keepAlive = true
        }
        request.ifNoneMatch = ifNoneMatch
        return nil
    }

    /// Without OWS.
    private func trimmed(_ bytes: UnsafeRawBufferPointer.SubSequence) -> UnsafeRawBufferPointer.SubSequence {
        guard let first = bytes.firstIndex(where: { !ASCII.isSpaceOrTab($0) }),
              let last = bytes.lastIndex(where: { !ASCII.isSpaceOrTab($0) })
        else { return bytes[bytes.startIndex..<bytes.startIndex] }
        return bytes[first...last]
    }

    /// The fields routing reads, recognised by name case-insensitively.
    private enum Field {
        case host, contentLength, transferEncoding, connection, ifNoneMatch, contentType

        private static let names: [(name: [UInt8], field: Field)] = [
            ("host", .host), ("content-length", .contentLength), ("transfer-encoding", .transferEncoding),
            ("connection", .connection), ("if-none-match", .ifNoneMatch), ("content-type", .contentType),
        ].map { (Array($0.utf8), $1) }

        init?(name: UnsafeRawBufferPointer.SubSequence) {
            guard let known = Self.names.first(where: { known in
                known.name.count == name.count && zip(known.name, name).allSatisfy { $0 == ASCII.lowercased($1) }
            }) else { return nil }
            self = known.field
        }
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's OWS).
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
