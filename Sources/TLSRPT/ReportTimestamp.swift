import MTASTS

/// RFC 3339 date-times as senders write them: `2016-04-01T00:00:00Z`, with fractions, with an offset, with a space
/// for the `T`, or with no zone at all (Microsoft), which is read as UTC.
public enum ReportTimestamp {
    /// Seconds since the epoch, nil when the text is not a date-time.
    public static func parse(_ text: String) -> Int? {
        let bytes = Array(ASCII.trimmingWhitespace(text).utf8)
        guard bytes.count >= 19 else {
            // A bare date (seen in hand-made reports): midnight UTC.
            guard bytes.count == 10 else { return nil }
            return parse(String(decoding: bytes, as: UTF8.self) + "T00:00:00Z")
        }
        guard let year = number(bytes, 0, 4), bytes[4] == dash, let month = number(bytes, 5, 2), bytes[7] == dash,
              let day = number(bytes, 8, 2), bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t")
                || bytes[10] == UInt8(ascii: " "),
              let hour = number(bytes, 11, 2), bytes[13] == colon, let minute = number(bytes, 14, 2),
              bytes[16] == colon, let second = number(bytes, 17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var index = 19
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        var offset = 0
        if index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                index += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = bytes[index] == UInt8(ascii: "+") ? 1 : -1
                guard let hours = number(bytes, index + 1, 2) else { return nil }
                var minutes = 0
                if index + 3 < bytes.count {
                    let start = bytes[index + 3] == colon ? index + 4 : index + 3
                    guard let value = number(bytes, start, 2) else { return nil }
                    minutes = value
                    index = start + 2
                } else {
                    index += 3
                }
                offset = sign * (hours * 3600 + minutes * 60)
            default:
                return nil
            }
        }
        guard index == bytes.count else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86400 + hour * 3600 + minute * 60 + second - offset
    }

    /// `yyyy-mm-dd` of a time, UTC.
    public static func day(_ seconds: Int) -> String {
        let (year, month, day) = civil(fromDays: Int((Double(seconds) / 86400).rounded(.down)))
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// `yyyy-mm` of a time, UTC: the folder a report is stored in.
    public static func month(_ seconds: Int) -> String { String(day(seconds).prefix(7)) }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    private static let dash = UInt8(ascii: "-")
    private static let colon = UInt8(ascii: ":")
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    // Howard Hinnant's days_from_civil and civil_from_days: the proleptic Gregorian calendar without Foundation.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
