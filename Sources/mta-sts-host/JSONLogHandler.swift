import Glibc
import Logging
import MTASTS

/// One JSON object per line with stable keys: `time`, `level`, `message`, then the metadata keys.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [(String, JSONValue)] = [("time", .string(Self.timestamp())),
                                             ("level", .string(event.level.rawValue)),
                                             ("message", .string(event.message.description))]
        let merged = event.mergedMetadata(over: metadata)
        for key in merged.keys.sorted() { fields.append((key, .string(merged[key]!.description))) }
        // One write(2) per line keeps lines from different threads whole.
        StandardError.print(JSONValue.object(fields).compact)
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let millis = now.tv_nsec / 1_000_000
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) + ".\(fraction)Z"
    }
}
