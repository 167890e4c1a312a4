/// Host name rules shared by mx values and policy file names: A-label form, no trailing dot, labels of
/// 1-63 letters, digits and hyphens that neither start nor end with a hyphen, 253 characters in all.
enum HostnameSyntax {
    struct Problem: Equatable, Sendable {
        /// Byte offset into the checked name of the offending byte or label.
        var offset: Int
        /// Reads after the quoted name: `mx "a..b" has an empty label`.
        var message: String
    }

    static let maxLength = 253
    static let maxLabelLength = 63

    /// The first problem by position, or nil for a valid name. Upper case is accepted here; callers
    /// decide whether it is an error (file names) or only a warning (mx, compared case-insensitively).
    static func problem(in name: [UInt8]) -> Problem? {
        if name.isEmpty { return Problem(offset: 0, message: "is empty") }
        if name.last == ASCII.dot {
            return Problem(offset: name.count - 1, message: "ends with a dot")
        }
        var labelStart = 0
        for index in 0...name.count {
            let atEnd = index == name.count || name[index] == ASCII.dot
            if !atEnd {
                let byte = name[index]
                if index == labelStart, byte == ASCII.hyphen {
                    return Problem(offset: index, message: "has a label that starts with \"-\"")
                }
                if !ASCII.isLetterOrDigit(byte), byte != ASCII.hyphen {
                    return Problem(
                        offset: index,
                        message: "contains \(ByteText.describe(byte)) (host names are letters, digits and \"-\")")
                }
                continue
            }
            let length = index - labelStart
            if length == 0 { return Problem(offset: index, message: "has an empty label") }
            if length > maxLabelLength {
                return Problem(
                    offset: labelStart + maxLabelLength,
                    message: "has a label of \(length) characters (the limit is \(maxLabelLength))")
            }
            if name[index - 1] == ASCII.hyphen {
                return Problem(offset: index - 1, message: "has a label that ends with \"-\"")
            }
            if index == name.count, name[labelStart..<index].allSatisfy(ASCII.isDigit) {
                return Problem(
                    offset: labelStart,
                    message: "ends in an all-digit label (an IP address is not a host name)")
            }
            labelStart = index + 1
        }
        if name.count > maxLength {
            return Problem(offset: maxLength, message: "is \(name.count) characters long (the limit is \(maxLength))")
        }
        return nil
    }
}
