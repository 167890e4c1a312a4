/// Renders policy bytes inside diagnostics, so a message can quote exactly what was found, even a NUL.
enum ByteText {
    /// Values longer than this are cut with "..." so one bad line cannot flood the output.
    static let maxQuoted = 80

    /// `"value"`: valid UTF-8 without control characters is shown as is (so `"bücher"` reads well);
    /// anything else byte by byte with `\xNN` escapes.
    static func quoted(_ bytes: some Collection<UInt8>) -> String {
        let cut = bytes.count > maxQuoted
        let shown = Array(bytes.prefix(maxQuoted))
        var text = "\""
        if let string = String(validating: shown, as: UTF8.self),
           !shown.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            for character in string {
                if character == "\"" || character == "\\" { text.append("\\") }
                text.append(character)
            }
        } else {
            for byte in shown {
                text += escaped(byte)
            }
        }
        return text + (cut ? "...\"" : "\"")
    }

    /// A single byte as it appears in a message: `"_"`, `a tab`, `byte 0xFF`.
    static func describe(_ byte: UInt8) -> String {
        switch byte {
        case 0x09: return "a tab"
        case 0x20: return "a space"
        case 0x21...0x7E: return "\"" + escaped(byte) + "\""
        default: return "byte " + hex(byte)
        }
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }

    private static func escaped(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "\""): return "\\\""
        case UInt8(ascii: "\\"): return "\\\\"
        case 0x09: return "\\t"
        case 0x0D: return "\\r"
        case 0x20...0x7E: return String(UnicodeScalar(byte))
        default: return "\\x" + hex(byte).dropFirst(2)
        }
    }
}
