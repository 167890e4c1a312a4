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
        .library(name: "Server", targets: ["Server"]),
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
        // Linux calls Swift's Glibc module does not export (accept4).
        .systemLibrary(name: "CLinux"),
        // Blocks serve's stop and reload signals before main (see serve_signals.c).
        .target(name: "CServeSignals"),

        // Pure Swift: the RFC 8461 policy grammar, validation, rendering and DNS records.
        .target(name: "MTASTS"),
        // The only importer of COpenSSL.
        .target(name: "TLS", dependencies: ["COpenSSL", "Reactor"]),
        // HTTP without sockets: the HTTP/1.1 parser and the routing of requests to policy responses.
        .target(name: "HTTP", dependencies: ["CNGHTTP2"]),
        // Dispatch + Glibc only: event loops, sockets, listeners, signals, file watching.
        .target(name: "Reactor", dependencies: ["CLinux"]),
        // Wiring: catalog snapshots, connections, the server.
        .target(name: "Server", dependencies: [
            "MTASTS", "TLS", "HTTP", "Reactor", "CLinux",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        .executableTarget(name: "mta-sts-host", dependencies: [
            "MTASTS", "Server", "TLS", "CServeSignals",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),

        .testTarget(name: "MTASTSTests", dependencies: ["MTASTS"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "TLS", "MTASTS"]),
        .testTarget(name: "TLSTests", dependencies: ["TLS"]),
    ]
)
