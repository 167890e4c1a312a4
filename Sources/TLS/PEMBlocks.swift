/// The `-----BEGIN CERTIFICATE-----` blocks of a PEM file, in order (pure, for tests).
enum PEMBlocks {
    static func certificates(in text: String) -> [Substring] {
        let begin = Array("-----BEGIN CERTIFICATE-----".utf8), end = Array("-----END CERTIFICATE-----".utf8)
        let bytes = Array(text.utf8)
        var blocks: [Substring] = []
        var position = 0
        while let start = find(begin, in: bytes, from: position), let stop = find(end, in: bytes, from: start + begin.count) {
            let upper = stop + end.count
            let lower = text.utf8.index(text.utf8.startIndex, offsetBy: start)
            blocks.append(Substring(text.utf8[lower..<text.utf8.index(lower, offsetBy: upper - start)]))
            position = upper
        }
        return blocks
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == first, bytes[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
