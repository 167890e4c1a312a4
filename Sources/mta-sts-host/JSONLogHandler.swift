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

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
             source: String, file: String, function: String, line: UInt) {
        var fields: [(String, JSONValue)] = [("time", .string(Self.timestamp())), ("level", .string(level.rawValue)),
                                             ("message", .string(message.description))]
        let merged = metadata.merging(explicit ?? [:]) { $1 }
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
        strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
        let millis = now.tv_nsec / 1_000_000
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return String(cString: buffer) + ".\(fraction)Z"
    }
}
