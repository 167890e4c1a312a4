import Foundation
import Testing
@testable import DNSClient

/// Against pebble-challtestsrv (Debian `pebble`, installed by `make deps`): a real DNS server on loopback.
@Suite(.serialized) struct DNSResolverTests {
    @Test func splitsServerAddresses() {
        #expect(DNSResolver.split("127.0.0.1:8053")! == ("127.0.0.1", 8053))
        #expect(DNSResolver.split("127.0.0.1")! == ("127.0.0.1", 53))
        #expect(DNSResolver.split("[::1]:5353")! == ("::1", 5353))
        #expect(DNSResolver.split("::1")! == ("::1", 53))
        #expect(DNSResolver.split("127.0.0.1:http") == nil)
        #expect(DNSResolver.split("[::1]5353") == nil)
    }

    @Test func rejectsAServerThatIsNotAnAddress() {
        #expect(throws: ResolverError.self) { try DNSResolver(server: "dns.example:53") }
    }

    @Test func findsAddressesAndTellsANameWithoutOne() throws {
        let server = try ChallengeTestServer()
        defer { server.stop() }
        try server.addA(host: "mta-sts.a.test", address: "127.0.0.7")
        let resolver = try DNSResolver(server: "127.0.0.1:\(server.dnsPort)")
        #expect(resolver.addresses(of: "mta-sts.a.test") == .addresses(["127.0.0.7"]))
        #expect(resolver.addresses(of: "mta-sts.b.test") == .noAddress)
    }

    @Test func readsTextRecordsWhole() throws {
        let server = try ChallengeTestServer()
        defer { server.stop() }
        try server.setTXT(host: "_mta-sts.a.test", value: "v=STSv1; id=20261207T000000")
        let resolver = try DNSResolver(server: "127.0.0.1:\(server.dnsPort)")
        #expect(resolver.textRecords("_mta-sts.a.test") == .records(["v=STSv1; id=20261207T000000"]))
        #expect(resolver.textRecords("_mta-sts.b.test") == .records([]))
    }

    @Test func aServerThatDoesNotAnswerIsAFailureNotAnAbsence() throws {
        let port = ChallengeTestServer.freeUDPPort()
        let resolver = try DNSResolver(server: "127.0.0.1:\(port)", timeoutSeconds: 1)
        guard case .failed = resolver.addresses(of: "mta-sts.a.test") else {
            Issue.record("expected a failure")
            return
        }
    }
}

/// pebble-challtestsrv with only its DNS and management listeners, on free ports.
final class ChallengeTestServer {
    let dnsPort = freeUDPPort()
    let managementPort = freeTCPPort()
    private let process = Process()

    init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pebble-challtestsrv")
        process.arguments = ["-defaultIPv4", "", "-defaultIPv6", "", "-dns01", "127.0.0.1:\(dnsPort)",
                             "-http01", "", "-https01", "", "-tlsalpn01", "",
                             "-management", "127.0.0.1:\(managementPort)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var attempts = 0
        while !managementAnswers(), attempts < 100 {
            usleep(50_000)
            attempts += 1
        }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    func addA(host: String, address: String) throws {
        let body = "{\"host\":\"\(host).\",\"addresses\":[\"\(address)\"]}"
        guard post("/add-a", body: body) == 200 else { throw CocoaError(.fileReadUnknown) }
    }

    func setTXT(host: String, value: String) throws {
        guard post("/set-txt", body: "{\"host\":\"\(host).\",\"value\":\"\(value)\"}") == 200 else {
            throw CocoaError(.fileReadUnknown)
        }
    }

    private func managementAnswers() -> Bool { post("/clear-txt", body: "{\"host\":\"x.\"}") == 200 }

    /// A blocking POST with curl (the test support has no HTTP client of its own).
    private func post(_ path: String, body: String) -> Int? {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-d", body,
                          "http://127.0.0.1:\(managementPort)\(path)"]
        let output = Pipe()
        curl.standardOutput = output
        guard (try? curl.run()) != nil else { return nil }
        curl.waitUntilExit()
        return Int(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    static func freeUDPPort() -> Int { freePort(type: Int32(SOCK_DGRAM.rawValue)) }
    static func freeTCPPort() -> Int { freePort(type: Int32(SOCK_STREAM.rawValue)) }

    private static func freePort(type: Int32) -> Int {
        let socket = Glibc.socket(AF_INET, type, 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
