import ArgumentParser
import Verify

/// `serve`'s background verification: the checks of `verify` for every served domain, every DURATION.
struct VerifyScheduleOptions: ParsableArguments {
    @Option(name: .customLong("verify-every"), help: ArgumentHelp("Run verify's checks for every served domain this often (e.g. 15m, 1h; at least 1s), in the background; results in /status and /metrics.", valueName: "duration"))
    var every: Interval?

    @Option(name: .customLong("verify-ca-file"), help: ArgumentHelp("PEM certificates to trust instead of the system's, for the background checks.", valueName: "pem"))
    var caFile: String?

    @Option(name: .customLong("verify-https-port"), help: "Port of the policy hosts, for the background checks.")
    var httpsPort: UInt16 = 443

    @Option(name: .customLong("verify-smtp-port"), help: "Port of the MX hosts, for the background checks.")
    var smtpPort: UInt16 = 25

    @Option(name: .customLong("verify-timeout"), help: "Seconds each background check may take.")
    var timeout = 10

    func validate() throws {
        if every == nil, caFile != nil || httpsPort != 443 || smtpPort != 25 || timeout != 10 {
            throw ValidationError("--verify-ca-file, --verify-https-port, --verify-smtp-port and --verify-timeout need --verify-every")
        }
        guard timeout > 0 else { throw ValidationError("--verify-timeout must be at least 1 second") }
    }

    /// Fewer domains at once than the command: the server has other work, and the probes hit other people's MX.
    func settings(resolver: String?) -> VerifySettings? {
        guard every != nil else { return nil }
        return VerifySettings(resolver: resolver, trustFile: caFile, httpsPort: httpsPort, smtpPort: smtpPort,
                              timeoutSeconds: timeout, concurrentDomains: 8)
    }
}

/// A duration on the command line: `90`, `90s`, `15m`, `1h`, `1d`.
struct Interval: ExpressibleByArgument, Equatable {
    let seconds: Int

    init?(argument: String) {
        let units = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let unit = argument.last.flatMap { units[String($0)] }
        guard let count = Int(unit == nil ? argument : String(argument.dropLast())), count >= 1,
              count <= Int.max / (unit ?? 1) else { return nil }
        seconds = count * (unit ?? 1)
    }
}
