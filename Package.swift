// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mta-sts-host",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mta-sts-host", targets: ["mta-sts-host"]),
        // For the fuzz package in Fuzz/ (a separate package, so normal builds never need the fuzzer runtime).
        .library(name: "MTASTS", targets: ["MTASTS"]),
        .library(name: "HTTP", targets: ["HTTP"]),
        .library(name: "ExchangeFuzzing", targets: ["ExchangeFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // C libraries from the distribution (libssl-dev, libnghttp2-dev).
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2",
                       providers: [.apt(["libnghttp2-dev"])]),
        // libcurl (libcurl4-openssl-dev), loaded with dlopen on first use rather than linked: HTTPS to the ACME server
        // and to the policy hosts `verify` checks.
        .target(name: "CCurl"),
        // DNS lookups (libldns-dev): whether a name resolves before ordering its certificate.
        .systemLibrary(name: "CLDNS", pkgConfig: "ldns", providers: [.apt(["libldns-dev"])]),
        // zlib (zlib1g-dev): gunzip of TLS-RPT reports, streamed and capped. Imported by ReportIntake only.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // SQLite (libsqlite3-dev): the index of stored TLS-RPT reports. Imported by ReportStore only.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // Linux calls Swift's Glibc module does not export (accept4).
        .systemLibrary(name: "CLinux"),
        // Blocks serve's stop and reload signals before main (see serve_signals.c).
        .target(name: "CServeSignals"),

        // Pure Swift: the RFC 8461 policy grammar, validation, rendering and DNS records.
        .target(name: "MTASTS"),
        // Glibc file paths and loading lanes, shared by TLS, Reactor and the catalog: no event loop, no protocol.
        .target(name: "FileSystem"),
        // The only importer of COpenSSL.
        .target(name: "TLS", dependencies: ["COpenSSL", "FileSystem"]),
        // HTTP without sockets: the HTTP/1.1 parser and the routing of requests to policy responses.
        .target(name: "HTTP", dependencies: ["CNGHTTP2", "MTASTS"]),
        // Dispatch + Glibc only: event loops, sockets, listeners, signals, file watching.
        .target(name: "Reactor", dependencies: ["CLinux", "FileSystem"]),
        // Policy and certificate files, loading lanes, the keep-last-good merge, the catalog snapshot, health and the
        // status document: what serve, check, dns and status share, without the event loop.
        .target(name: "Catalog", dependencies: ["MTASTS", "TLS", "HTTP", "FileSystem"]),
        // Blocking HTTPS requests through libcurl: the only importer of CCurl (ACME's requests, verify's policy fetch).
        .target(name: "HTTPSFetch", dependencies: ["CCurl", "MTASTS"]),
        // The ACME client (RFC 8555, TLS-ALPN-01). Blocking; the server runs it off the event loops.
        .target(name: "ACME", dependencies: ["TLS", "HTTPSFetch"]),
        // Certificates from an ACME CA: which names, when to renew, how long to back off (pure), and the manager that
        // runs the orders.
        .target(name: "Issuance", dependencies: [
            "ACME", "Catalog", "TLS", "FileSystem", "DNSClient", "Reactor",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // The only importer of CLDNS: blocking DNS lookups, RFC 2136 updates and TSIG through ldns.
        .target(name: "DNSClient", dependencies: ["CLDNS"]),
        // Each served id published in DNS (`serve --dns-update`): when and what to update (pure), and the manager
        // that runs the updates.
        .target(name: "DNSPublication", dependencies: [
            "DNSClient", "Catalog", "MTASTS", "Reactor",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // TLS-RPT (RFC 8460), pure: the report model, tolerant parsing, summaries and the rollout verdict.
        .target(name: "TLSRPT", dependencies: ["MTASTS"]),
        // Stored reports: one file per report (atomic, durable) and the SQLite index; the only importer of CSQLite.
        .target(name: "ReportStore", dependencies: ["CSQLite", "TLSRPT", "MTASTS", "FileSystem"]),
        // Report uploads off the event loops: rate, media type, capped gunzip (the only importer of CZlib), parse,
        // domain check, store, metrics.
        .target(name: "ReportIntake", dependencies: [
            "CZlib", "TLSRPT", "ReportStore", "HTTP",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // `verify`: the live deployment checked the way senders see it (DNS through ldns, the policy through
        // libcurl, each MX through SMTP STARTTLS on our own sockets): pure check functions and the probes.
        .target(name: "Verify", dependencies: [
            "DNSClient", "HTTPSFetch", "MTASTS", "Reactor", "TLS", "FileSystem",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        // Wiring: connections, workers, reload, the server.
        .target(name: "Server", dependencies: [
            "Catalog", "MTASTS", "TLS", "HTTP", "Reactor", "FileSystem", "CLinux",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        .executableTarget(name: "mta-sts-host", dependencies: [
            "Catalog", "MTASTS", "Server", "TLS", "Reactor", "FileSystem", "CServeSignals", "Issuance", "DNSPublication", "DNSClient", "Verify",
            "TLSRPT", "ReportStore", "ReportIntake", "HTTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // Test support, not shipped: the exchanges driven without a socket, for the fuzz package in Fuzz/.
        .target(name: "ExchangeFuzzing", dependencies: ["Server", "Catalog", "MTASTS", "TLS"]),

        .testTarget(name: "MTASTSTests", dependencies: ["MTASTS"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "FileSystem"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "TLS", "MTASTS", "FileSystem"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "TLS", "MTASTS"]),
        .testTarget(name: "TLSTests", dependencies: ["TLS"]),
        .testTarget(name: "ACMETests", dependencies: ["ACME", "TLS", "HTTPSFetch"]),
        .testTarget(name: "IssuanceTests", dependencies: ["Issuance"]),
        .testTarget(name: "DNSClientTests", dependencies: ["DNSClient"]),
        .testTarget(name: "DNSPublicationTests", dependencies: ["DNSPublication", "DNSClient"]),
        .testTarget(name: "FileSystemTests", dependencies: ["FileSystem"]),
        .testTarget(name: "TLSRPTTests", dependencies: ["TLSRPT"]),
        .testTarget(name: "ReportStoreTests", dependencies: ["ReportStore", "TLSRPT", "FileSystem"]),
        .testTarget(name: "ReportIntakeTests", dependencies: ["ReportIntake", "TLSRPT", "HTTP"]),
        .testTarget(name: "HTTPSFetchTests", dependencies: ["HTTPSFetch"]),
        .testTarget(name: "VerifyTests", dependencies: ["Verify", "DNSClient", "TLS", "MTASTS"]),
    ]
)
