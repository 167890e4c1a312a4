// swift-tools-version:6.0
// libFuzzer targets over the root package's modules. A package of its own so that `swift build` and `swift test` at
// the root never compile these nor need the fuzzer runtime. Build and run them with `make fuzz` (see the Makefile).
import PackageDescription

let package = Package(
    name: "mta-sts-host-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "mta-sts-host", path: ".."),
    ],
    targets: [
        // libFuzzer's driver, called from each target's main.swift.
        .target(name: "FuzzDriver"),
        // PolicyParser.parse: never traps; an accepted policy re-renders to itself.
        .executableTarget(name: "policy-parser", dependencies: [
            "FuzzDriver", .product(name: "MTASTS", package: "mta-sts-host"),
        ]),
        // HTTP1RequestParser.parse: never traps; fed in two parts it answers as fed at once.
        .executableTarget(name: "http1-parser", dependencies: [
            "FuzzDriver", .product(name: "HTTP", package: "mta-sts-host"),
        ]),
        // HTTP/1.1 and HTTP/2 exchanges after the handshake (ExchangeFuzzing.ExchangeFuzzHarness): bounded output, no trap.
        .executableTarget(name: "exchange", dependencies: [
            "FuzzDriver", .product(name: "ExchangeFuzzing", package: "mta-sts-host"),
        ]),
    ]
)
