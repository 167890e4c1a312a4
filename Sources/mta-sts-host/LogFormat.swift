import ArgumentParser
import Logging

/// How log lines look on stderr.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Sets up swift-log once for the process: text or JSON lines on stderr, at the given level. Both escape control
/// characters, so nothing logged can break a line.
enum LogSetup {
    static func bootstrap(level: Logger.Level, format: LogFormat) -> Logger {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = TextLogHandler(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        return Logger(label: "mta-sts-host")
    }
}
