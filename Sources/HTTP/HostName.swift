/// Host header values as routing compares them.
public enum HostName {
    /// Lower-cases and drops the port: `MTA-STS.Example.com:443` → `mta-sts.example.com`. Nil when malformed.
    public static func normalize(_ value: String) -> String? {
        var host = Substring(value)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isASCIIDigit)) else { return nil }
            host = host[...close]
        } else if let colon = host.firstIndex(of: ":") {
            guard host[host.index(after: colon)...].allSatisfy(\.isASCIIDigit) else { return nil }
            host = host[..<colon]
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        guard !host.isEmpty, host.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "@") })
        else { return nil }
        return host.lowercased()
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
