import Glibc

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), rendered at most once per second per event loop.
public final class HTTPDate {
    private var second: Int = -1
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// The Date value for now; re-rendered only when the second changes.
    public func current() -> [UInt8] {
        let now = time(nil)
        if now != second {
            second = now
            bytes = Self.render(epochSeconds: now)
        }
        return bytes
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func render(epochSeconds: Int) -> [UInt8] {
        var seconds = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let text = "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(1900 + parts.tm_year) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        return Array(text.utf8)
    }
}
