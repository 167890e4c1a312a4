/// Bytes a policy may not contain: anything outside printable ASCII, spaces and tabs.
extension PolicyBuilder {
    static func isForbidden(_ byte: UInt8) -> Bool {
        byte >= 0x80 || byte == 0x7F || (byte < 0x20 && byte != ASCII.tab)
    }

    /// One error per line, at the first forbidden byte; the line's key still counts as present.
    mutating func reportForbiddenByte(at index: Int, line: PolicyLine, colon: Int?) {
        let column = index - line.start + 1
        var key: String?
        if let colon, colon < index {
            var keyStart = line.contentStart
            var keyEnd = colon
            while keyStart < keyEnd, ASCII.isSpaceOrTab(bytes[keyStart]) { keyStart += 1 }
            while keyEnd > keyStart, ASCII.isSpaceOrTab(bytes[keyEnd - 1]) { keyEnd -= 1 }
            key = ASCII.string(bytes[keyStart..<keyEnd])
            notePresent(key!, line: line.number, keyColumn: keyStart - line.start + 1)
        }
        let byte = bytes[index]
        switch byte {
        case ASCII.cr:
            error(line.number, column, "bare CR (a carriage return without a line feed)",
                  fix: "use LF or CRLF line ends")
        case 0:
            error(line.number, column, "NUL byte", fix: "remove it; a policy is plain ASCII text")
        case ..<0x80:
            error(line.number, column, "control character \(ByteText.hex(byte))",
                  fix: "remove it; a policy is plain ASCII text")
        default:
            if key == "mx", let colon, reportNonASCIIHost(line: line, colon: colon) { return }
            error(line.number, column, "non-ASCII \(describeNonASCII(at: index)) (a policy is ASCII)",
                  fix: "remove it, or write host names as A-labels (xn--...)")
        }
    }

    /// `mx: bücher.example` is a real mistake with a known repair: name the A-label.
    private mutating func reportNonASCIIHost(line: PolicyLine, colon: Int) -> Bool {
        var valueStart = colon + 1
        while valueStart < line.end, ASCII.isSpaceOrTab(bytes[valueStart]) { valueStart += 1 }
        var valueEnd = line.end
        while valueEnd > valueStart, ASCII.isSpaceOrTab(bytes[valueEnd - 1]) { valueEnd -= 1 }
        let value = Array(bytes[valueStart..<valueEnd])
        guard !value.contains(where: { $0 < 0x80 && Self.isForbidden($0) }),
              let text = String(validating: value, as: UTF8.self),
              let ascii = DomainName.toASCII(text),
              case .valid(let host, _) = MXPattern.check(Array(ascii.utf8)) else { return false }
        error(line.number, valueStart - line.start + 1,
              "mx \(ByteText.quoted(value)) is not ASCII; hosts are written as A-labels",
              fix: "write \"mx: \(host)\"")
        return true
    }

    /// `character "ü"` when the bytes there are valid UTF-8, else `byte 0xFF`.
    private func describeNonASCII(at index: Int) -> String {
        let lead = bytes[index]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        if length > 1, index + length <= bytes.count,
           let text = String(validating: bytes[index..<(index + length)], as: UTF8.self) {
            return text == "\u{FEFF}" ? "byte order mark (U+FEFF)" : "character \"\(text)\""
        }
        return "byte \(ByteText.hex(lead))"
    }
}
