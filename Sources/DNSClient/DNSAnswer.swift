/// What a DNS query for one record type found.
public enum DNSAnswer<Record: Sendable & Equatable>: Sendable, Equatable {
    /// NOERROR: the records of that type (none when the name has other types only).
    case records([Record])
    /// NXDOMAIN.
    case nonexistent
    /// No answer: timeout, SERVFAIL, REFUSED, or the query could not be made.
    case failed(String)
}

/// One MX record.
public struct MailExchanger: Sendable, Equatable {
    public let preference: Int
    /// Lower-cased, without the final dot.
    public let exchange: String

    public init(preference: Int, exchange: String) {
        self.preference = preference
        self.exchange = exchange
    }
}

/// Names as ldns prints them (`Mail.Example.`) and as policies compare them (`mail.example`).
enum DNSName {
    static func normalized(_ name: String) -> String {
        let lower = name.lowercased()
        return lower.count > 1 && lower.hasSuffix(".") ? String(lower.dropLast()) : lower
    }

    /// With the final dot: ldns reads a name without one as relative to an origin it does not have.
    static func absolute(_ name: String) -> String {
        name.hasSuffix(".") ? name : name + "."
    }
}
