import Glibc
import Logging

/// Writes `<state dir>/status.json` after every load, atomically, for `mta-sts-host status`.
enum StatusFile {
    static func write(_ text: String, configuration: ServerConfiguration, logger: Logger) {
        guard let directory = configuration.stateDirectory else { return }
        do {
            if mkdir(directory, 0o700) != 0, errno != EEXIST { throw StartupError("mkdir \(directory): \(String(cString: strerror(errno)))") }
            try AtomicFile.write(text, to: directory + "/status.json")
        } catch {
            logger.warning("cannot write the status file in \(directory): \(error)")
        }
    }
}
