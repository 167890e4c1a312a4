/// The `mode` of an MTA-STS policy (RFC 8461 §5). Raw values are the exact, case-sensitive policy text.
public enum PolicyMode: String, Sendable, CaseIterable {
    case enforce, testing, none
}
