import ArgumentParser

@main
struct MTASTSHost: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mta-sts-host",
        abstract: "Serve MTA-STS policies (RFC 8461) for many mail domains over HTTPS, chosen by TLS SNI.",
        subcommands: [])
}
