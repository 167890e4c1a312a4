import Glibc
import Logging
import MTASTS

/// One line per event, shaped like swift-log's `StreamLogHandler`: `time level label: key=value [source] message`.
/// Unlike it, control characters in the message and metadata are escaped (`PlainText`), so a policy file named
/// `x\nforged` or a peer's bytes cannot forge a log line; values with spaces are quoted, empty ones left out.
struct TextLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = event.mergedMetadata(over: metadata)
        var line = Self.timestamp() + " \(event.level)" + (label.isEmpty ? "" : " " + PlainText.escaped(label)) + ":"
        for key in merged.keys.sorted() {
            let value = merged[key]!.description
            guard !value.isEmpty else { continue }
            line += " " + PlainText.escaped(key) + "=" + PlainText.fieldValue(value)
        }
        line += " [" + PlainText.escaped(event.source) + "] " + PlainText.escaped(event.message.description)
        // One write(2) per line keeps lines from different threads whole.
        StandardError.print(line)
    }

    /// Local time with its offset, as `StreamLogHandler` writes it.
    private static func timestamp() -> String {
        var seconds = time(nil)
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
