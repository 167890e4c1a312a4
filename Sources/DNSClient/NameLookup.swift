/// What DNS says about a host name, as far as issuing a certificate for it cares.
public enum NameLookup: Sendable, Equatable {
    /// A or AAAA records, as text.
    case addresses([String])
    /// The name does not exist: wait, do not order (an order would fail and count against the CA's rate limits).
    case nonexistent
    /// The name exists but has no address.
    case noAddress
    /// The lookup itself failed (timeout, SERVFAIL, refused).
    case failed(String)
}
