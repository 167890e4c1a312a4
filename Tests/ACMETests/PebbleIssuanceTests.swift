import Testing
@testable import ACME
import TLS
import HTTPSFetch

/// The whole flow against pebble over real HTTPS through libcurl: account, order, challenge, finalize, download.
/// Fails (does not skip) without pebble: `make deps` installs it.
@Suite(.serialized)
struct PebbleIssuanceTests {
    @Test func issuesCertificatesThroughEveryStepAndRetriesRejectedNonces() throws {
        // A quarter of nonces refused: over two orders (~25 signed requests) some are practically always hit, and
        // ten attempts per request make a failure practically impossible (0.25^10).
        let pebble = try PebbleServer(nonceRejectPercent: 25)
        defer { pebble.stop() }
        let client = try ACMEClient(directoryURL: pebble.directoryURL, accountKey: try ACMESigningKey.generate(),
                                    contact: "hostmaster@example.test", trustBundlePath: pebble.trustBundlePath)
        let accountURL = try client.account(existingURL: nil)
        #expect(accountURL.hasPrefix("https://localhost:\(pebble.port)/"))
        #expect(try client.account(existingURL: accountURL) == accountURL)  // the same key finds the same account

        let output = try TemporaryDirectory()
        defer { output.remove() }
        for name in ["mta-sts.example.test", "mta-sts.example.org"] {
            let responder = RecordingResponder()
            var progress: [String] = []
            let issued = try client.issueCertificate(for: name, responder: responder) { progress.append($0) }
            #expect(responder.log == ["install \(name) [\"\(name)\"]", "remove \(name)"], "\(pebble.log)")
            #expect(progress.count >= 4)

            // Loaded the way the server loads a certificate folder: chain parsed, key matches, valid now.
            try output.write("fullchain.pem", issued.fullChainPEM)
            try output.write("privkey.pem", issued.privateKeyPEM)
            let pair = try CertificateKeyPair(certificatePath: output.file("fullchain.pem"),
                                              keyPath: output.file("privkey.pem"))
            #expect(pair.dnsNames == [name])
            #expect(pair.keyType == .ecdsa)
            #expect(issued.fullChainPEM.ranges(of: "-----BEGIN CERTIFICATE-----").count >= 2)
        }
        #expect(client.badNonceRetries > 0)
        #expect(try client.renewalInfo(certificatePEM: try output.read("fullchain.pem")) == nil)  // pebble 2.4: no ARI
    }

    @Test func theCAsRootMustBeTrusted() throws {
        let pebble = try PebbleServer(nonceRejectPercent: 0)
        defer { pebble.stop() }
        let client = try ACMEClient(directoryURL: pebble.directoryURL, accountKey: try ACMESigningKey.generate(),
                                    contact: nil, trustBundlePath: nil)
        let failure = try #require(throws: HTTPSClientError.self) { try client.account(existingURL: nil) }
        #expect(failure.description.contains("certificate"))
    }

    @Test func aMissingTrustBundleIsAnErrorThatNamesIt() {
        #expect(throws: HTTPSClientError.self) {
            try ACMEClient(directoryURL: "https://localhost:1/dir", accountKey: try ACMESigningKey.generate(),
                           contact: nil, trustBundlePath: "/nonexistent/bundle.pem")
        }
    }
}
