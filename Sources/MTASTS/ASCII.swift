/// The byte classes of the RFC grammars read here: the policy's (RFC 8461) and, through the HTTP module, HTTP's
/// (RFC 9110, 9112). Public so that both read one definition; `@inlinable` because HTTP calls them per byte of
/// every request head. Glibc's ctype would consult the locale.
public enum ASCII {
    @inlinable public static var lf: UInt8 { UInt8(ascii: "\n") }
    @inlinable public static var cr: UInt8 { UInt8(ascii: "\r") }
    @inlinable public static var tab: UInt8 { UInt8(ascii: "\t") }
    @inlinable public static var space: UInt8 { UInt8(ascii: " ") }
    @inlinable public static var colon: UInt8 { UInt8(ascii: ":") }
    @inlinable public static var dot: UInt8 { UInt8(ascii: ".") }
    @inlinable public static var hyphen: UInt8 { UInt8(ascii: "-") }
    @inlinable public static var star: UInt8 { UInt8(ascii: "*") }

    @inlinable public static func isSpaceOrTab(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
    @inlinable public static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    @inlinable public static func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
    @inlinable public static func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
    @inlinable public static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        isLower(byte) || isUpper(byte) || isDigit(byte)
    }

    @inlinable public static func lowercased(_ byte: UInt8) -> UInt8 { isUpper(byte) ? byte + 0x20 : byte }

    static func lowercased(_ bytes: some Collection<UInt8>) -> [UInt8] { bytes.map { lowercased($0) } }

    /// Builds a String from bytes already known to be ASCII (or reports the repair for anything else).
    static func string(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: Array(bytes), as: UTF8.self)
    }

    /// `text` without leading and trailing spaces, tabs, CRs and LFs: the blanks around a TXT record's fields, a
    /// header value, a JSON string. On scalars, since "\r\n" is one Character, which a Character test would miss.
    public static func trimmingWhitespace(_ text: some StringProtocol) -> String {
        let scalars = text.unicodeScalars
        let isBlank: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = scalars.firstIndex(where: { !isBlank($0) }),
              let last = scalars.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
