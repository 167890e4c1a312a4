import FoundationEssentials
import MTASTS

/// Any JSON document, decoded by Foundation's parser: the report reader walks it by hand so that a field of an
/// unexpected shape (a number as a string, a string as an array) is read rather than failing the whole report.
enum JSONTree: Decodable, Equatable {
    case object([String: JSONTree])
    case array([JSONTree])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONTree].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONTree].self))
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> JSONTree {
        try JSONDecoder().decode(JSONTree.self, from: Data(bytes))
    }

    subscript(key: String) -> JSONTree? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    /// A non-empty string (trimmed); a number is written out.
    var text: String? {
        switch self {
        case .string(let value):
            let trimmed = ASCII.trimmingWhitespace(value)
            return trimmed.isEmpty ? nil : trimmed
        case .number(let value): return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        default: return nil
        }
    }

    /// A count: a non-negative whole number, or a string holding one.
    var count: Int? {
        switch self {
        case .number(let value) where value >= 0 && value == value.rounded() && value < 1e15: return Int(value)
        case .string(let value): return Int(ASCII.trimmingWhitespace(value)).flatMap { $0 >= 0 ? $0 : nil }
        default: return nil
        }
    }

    /// Strings from a string or an array of strings.
    var texts: [String] {
        switch self {
        case .array(let items): return items.compactMap(\.text)
        default: return text.map { [$0] } ?? []
        }
    }
}
