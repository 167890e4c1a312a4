/// The `id` of the `_mta-sts` TXT record, derived from the policy's content: RFC 8461 §3.1 requires the
/// id to change whenever the policy does, and hashing the canonical body makes that automatic (and keeps
/// it stable across restarts, line-end styles and key order).
public enum PolicyID {
    /// The first 20 lower-case hex characters (80 bits) of SHA-256 of the canonical bytes; the TXT grammar
    /// allows 1-32 letters and digits.
    public static func make(canonical: [UInt8]) -> String {
        String(SHA256.hex(SHA256.hash(canonical)).prefix(20))
    }
}
