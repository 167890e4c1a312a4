/// The few byte classes the policy grammar needs; Glibc's ctype would consult the locale.
enum ASCII {
    static let lf = UInt8(ascii: "\n")
    static let cr = UInt8(ascii: "\r")
    static let tab = UInt8(ascii: "\t")
    static let space = UInt8(ascii: " ")
    static let colon = UInt8(ascii: ":")
    static let dot = UInt8(ascii: ".")
    static let hyphen = UInt8(ascii: "-")
    static let star = UInt8(ascii: "*")

    static func isSpaceOrTab(_ byte: UInt8) -> Bool { byte == space || byte == tab }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
    static func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
    static func isLetterOrDigit(_ byte: UInt8) -> Bool { isLower(byte) || isUpper(byte) || isDigit(byte) }

    static func lowercased(_ byte: UInt8) -> UInt8 { isUpper(byte) ? byte + 0x20 : byte }

    static func lowercased(_ bytes: some Collection<UInt8>) -> [UInt8] { bytes.map { lowercased($0) } }

    /// Builds a String from bytes already known to be ASCII (or reports the repair for anything else).
    static func string(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: Array(bytes), as: UTF8.self)
    }
}
