/// Text for human-readable output (text log lines, `status`): control characters become visible escapes, so a file
/// name, a policy's bytes or a peer's header cannot start a forged line or move the terminal's cursor.
public enum PlainText {
    /// `\n`, `\r` and `\t` as those two characters, every other C0 control and DEL as `\x1b` style escapes;
    /// everything else, backslashes included, unchanged.
    public static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: isControl) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.isASCII && isControl(UInt8(scalar.value)): out += hexEscape(UInt8(scalar.value))
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A `key=value` field's value: escaped, and in double quotes when it holds a space or a quote (inside them,
    /// `"` and `\` get a backslash), so a reader can split a line into fields without guessing.
    public static func fieldValue(_ value: String) -> String {
        let text = escaped(value)
        guard text.utf8.contains(where: { $0 == 0x20 || $0 == 0x22 }) else { return text }
        var quoted = "\""
        for character in text.unicodeScalars {
            if character == "\"" || character == "\\" { quoted += "\\" }
            quoted.unicodeScalars.append(character)
        }
        return quoted + "\""
    }

    private static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    private static func hexEscape(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }
}
