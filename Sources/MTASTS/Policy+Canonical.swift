extension Policy {
    /// The body the server sends: `version` first (every sender finds it), one line per key, CRLF line ends
    /// including the last (the RFC's own example form), unknown keys dropped.
    public var canonicalText: String {
        var text = "version: STSv1\r\nmode: \(mode.rawValue)\r\n"
        for host in mx {
            text += "mx: \(host)\r\n"
        }
        text += "max_age: \(maxAge)\r\n"
        return text
    }

    public var canonicalBytes: [UInt8] {
        Array(canonicalText.utf8)
    }
}
