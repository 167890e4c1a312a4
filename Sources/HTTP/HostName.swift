import MTASTS

/// Host header values as routing compares them.
public enum HostName {
    /// Lower-cases and drops the port: `MTA-STS.Example.com:443` → `mta-sts.example.com`. Nil when malformed.
    public static func normalize(_ value: String) -> String? {
        var value = value
        return value.withUTF8 { normalize(UnsafeRawBufferPointer($0)) }
    }

    /// The same on bytes (a header value as read): every accepted byte is printable ASCII, so the work is done on
    /// bytes, and the one String made is the result.
    static func normalize(_ bytes: UnsafeRawBufferPointer) -> String? {
        var end = bytes.count
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            guard isPort(bytes[(close + 1)...]) else { return nil }
            end = close + 1
        } else if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            guard bytes[(colon + 1)...].allSatisfy(ASCII.isDigit) else { return nil }
            end = colon
        }
        if end > 0, bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
        let host = bytes[..<end]
        guard !host.isEmpty, host.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "@") })
        else { return nil }
        return String(unsafeUninitializedCapacity: host.count) { buffer in
            for (offset, byte) in host.enumerated() { buffer[offset] = ASCII.lowercased(byte) }
            return host.count
        }
    }

    /// Empty, or `:` and digits only.
    private static func isPort(_ rest: UnsafeRawBufferPointer.SubSequence) -> Bool {
        rest.isEmpty || (rest.first == UInt8(ascii: ":") && rest.dropFirst().allSatisfy(ASCII.isDigit))
    }
}
