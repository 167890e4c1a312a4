import ArgumentParser

@main
struct MTASTSHost: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mta-sts-host",
        abstract: "Serve MTA-STS policies (RFC 8461) for many mail domains over HTTPS, chosen by TLS SNI.",
        discussion: """
        Put one policy per mail domain in policies/<domain>.txt and the certificates for mta-sts.<domain> \
        in certs/, then:
          mta-sts-host check      validate every policy (file:line:col diagnostics)
          mta-sts-host dns        print the _mta-sts TXT records to publish
          mta-sts-host serve      serve them over HTTPS; reloads on change and SIGHUP
          mta-sts-host status     show what a running server serves
          mta-sts-host reports    summarise the TLS-RPT reports received (serve --reports)
        """,
        subcommands: [CheckCommand.self, DNSCommand.self, ServeCommand.self, StatusCommand.self, VerifyCommand.self, ReportsCommand.self])
}
