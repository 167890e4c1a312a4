/// Parses and validates an RFC 8461 §3.2 policy file, reporting every problem with its line and column.
public enum PolicyParser {
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Never traps, whatever the bytes: every rule violation becomes a diagnostic.
    public static func parse(_ bytes: [UInt8]) -> PolicyParseResult {
        if bytes.count > PolicyLimits.maxSize {
            // Stop here: the rest is what senders would never read, and could be megabytes of noise.
            let (line, column) = PolicyLine.position(of: PolicyLimits.maxSize, in: bytes)
            let diagnostic = Diagnostic(
                severity: .error, line: line, column: column,
                message: "policy is \(bytes.count) bytes, over the 65536-byte (64 KiB) limit",
                fix: "senders stop reading at 64 KiB; shorten it (one wildcard mx such as \"*.mx.example.net\" "
                    + "can replace many hosts)")
            return PolicyParseResult(policy: nil, diagnostics: [diagnostic])
        }
        var builder = PolicyBuilder(bytes: bytes)
        if bytes.count > PolicyLimits.softSize {
            let (line, column) = PolicyLine.position(of: PolicyLimits.softSize, in: bytes)
            builder.warning(
                line, column,
                "policy is \(bytes.count) bytes; some senders read only the first 10240 (10 KiB)",
                fix: "shorten it (one wildcard mx such as \"*.mx.example.net\" can replace many hosts)")
        }
        var lines = PolicyLine.split(bytes)
        if bytes.starts(with: byteOrderMark) {
            builder.error(1, 1, "file starts with a UTF-8 byte order mark (BOM)",
                          fix: "save it as plain ASCII text without a BOM")
            lines[0].contentStart += byteOrderMark.count
        }
        for line in lines {
            builder.consume(line)
        }
        return builder.finish()
    }
}
