/// How a sender compares a host with a policy `mx` pattern or a certificate's DNS name (RFC 8461 §4.1):
/// without regard to case or a final dot, and `*.` standing for exactly one left-most label, so `*.example.net`
/// covers `mx1.example.net` but neither `example.net` nor `a.mx1.example.net`.
public enum MXHostMatch {
    public static func matches(_ host: String, pattern: String) -> Bool {
        let host = normalized(host)
        let pattern = normalized(pattern)
        guard pattern.hasPrefix("*.") else { return host == pattern }
        guard let dot = host.firstIndex(of: "."), dot != host.startIndex else { return false }
        return host[host.index(after: dot)...] == pattern.dropFirst(2)
    }

    /// Lower-case, without the final dots DNS answers carry.
    public static func normalized(_ name: String) -> String {
        var name = name.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name
    }
}
