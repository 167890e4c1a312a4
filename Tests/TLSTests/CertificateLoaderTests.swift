import Glibc
import Testing
@testable import TLS

/// Each reason a pair is refused at load, and each warning a served pair carries.
struct CertificateLoaderTests {
    let pki: TestPKI

    init() throws { pki = try TestPKI() }

    /// Loads with a fresh loader whose trust anchors are `anchors` (a PEM file), or none.
    private func load(_ certificate: String, _ key: String, anchors: String? = nil,
                      now: Int = Int(time(nil))) throws -> CertificateLoader.Loaded {
        let trust = TrustAnchors(certificateFile: anchors ?? "/dev/null")
        return try CertificateLoader(trustAnchors: trust).load(certificatePath: certificate, keyPath: key, now: now)
    }

    private func rejection(_ certificate: String, _ key: String, anchors: String? = nil,
                           now: Int = Int(time(nil))) -> CertificateRejection? {
        do {
            _ = try load(certificate, key, anchors: anchors, now: now)
            return nil
        } catch {
            return error as? CertificateRejection
        }
    }

    @Test func expiredCertificateIsRejectedWithItsDate() throws {
        defer { pki.remove() }
        let leaf = try pki.selfSignedLeaf("leaf")
        let pair = try load(leaf.certificate, leaf.key).pair
        let rejected = try #require(rejection(leaf.certificate, leaf.key, now: pair.notAfter + 3 * 86_400))
        #expect(rejected.description.hasPrefix(leaf.certificate + ": "))
        #expect(rejected.message.contains("certificate expired on \(CertificateValidity.utcDate(pair.notAfter))"))
        #expect(rejected.message.contains("(3 days ago)"))
    }

    @Test func notYetValidCertificateIsRejectedWithItsDate() throws {
        defer { pki.remove() }
        let leaf = try pki.selfSignedLeaf("leaf")
        let pair = try load(leaf.certificate, leaf.key).pair
        #expect(pair.notBefore <= Int(time(nil)) && pair.notBefore > Int(time(nil)) - 3_600)
        let rejected = try #require(rejection(leaf.certificate, leaf.key, now: pair.notBefore - 86_400))
        #expect(rejected.description.contains(leaf.certificate))
        #expect(rejected.message.contains("not valid until \(CertificateValidity.utcDate(pair.notBefore))"))
    }

    @Test func certificateExpiringInFiveDaysIsServedWithAWarning() throws {
        defer { pki.remove() }
        let leaf = try pki.selfSignedLeaf("leaf")
        let pair = try load(leaf.certificate, leaf.key).pair
        let loaded = try load(leaf.certificate, leaf.key, now: pair.notAfter - 5 * 86_400 - 60)
        #expect(loaded.warnings.contains { $0.hasPrefix("certificate expires in 5 days") })
        #expect(try load(leaf.certificate, leaf.key).warnings.isEmpty)
    }

    @Test func rsa1024IsRefusedAtTheSecurityLevel() throws {
        defer { pki.remove() }
        // RSA-1024 passes security level 1; Debian's default is 2.
        let level = SecurityLevelProbe().securityLevel
        let leaf = try pki.selfSignedLeaf("weak", rsaBits: level >= 2 ? 1024 : 512)
        let rejected = try #require(rejection(leaf.certificate, leaf.key))
        #expect(rejected.description.hasPrefix(leaf.certificate + ": "))
        #expect(rejected.message.contains("security level \(level)"))
        #expect(rejected.message.contains("ee key too small"))
    }

    @Test func sha1SignedLeafIsRefusedAtTheSecurityLevel() throws {
        defer { pki.remove() }
        let root = try pki.root("root")
        let leaf = try pki.issue("leaf", by: root, digest: "sha1")
        let file = try pki.concatenate([leaf.certificate, root.certificate], into: "fullchain.pem")
        let rejected = try #require(rejection(file, leaf.key))
        #expect(rejected.message.contains("security level"))
        #expect(rejected.message.contains("md too weak"))
    }

    @Test func leafAfterItsIntermediateIsOutOfOrder() throws {
        defer { pki.remove() }
        let root = try pki.root("root")
        let intermediate = try pki.issue("intermediate", by: root, isCA: true)
        let leaf = try pki.issue("leaf", by: intermediate)
        let file = try pki.concatenate([intermediate.certificate, leaf.certificate], into: "fullchain.pem")
        let rejected = try #require(rejection(file, leaf.key))
        #expect(rejected.reason == .outOfOrder(position: 2, count: 2))
        #expect(rejected.description.contains(file))
        #expect(rejected.message.contains("out of order"))
        #expect(rejected.message.contains("put the leaf first"))
        #expect(!rejected.description.contains("does not match"))
    }

    @Test func elevenCertificatesAreAChainTooLarge() throws {
        defer { pki.remove() }
        let root = try pki.root("root")
        let intermediate = try pki.issue("intermediate", by: root, isCA: true)
        let leaf = try pki.issue("leaf", by: intermediate)
        let file = try pki.concatenate([leaf.certificate] + Array(repeating: intermediate.certificate, count: 10),
                                       into: "fullchain.pem")
        let rejected = try #require(rejection(file, leaf.key))
        #expect(rejected.reason == .tooManyCertificates(count: 11))
        #expect(rejected.description.hasPrefix(file + ": chain too large"))

        let ten = try pki.concatenate([leaf.certificate] + Array(repeating: intermediate.certificate, count: 9),
                                      into: "ten.pem")
        #expect(rejection(ten, leaf.key) == nil)
    }

    @Test func fileOver64KiBIsAChainTooLarge() throws {
        defer { pki.remove() }
        let leaf = try pki.selfSignedLeaf("leaf")
        let file = pki.path("padded.pem")
        // Text outside the PEM blocks is allowed, so the size alone decides.
        try pki.write(file, try pki.read(leaf.certificate) + String(repeating: "# padding\n", count: 7_000))
        let rejected = try #require(rejection(file, leaf.key))
        #expect(rejected.description.hasPrefix(file + ": chain too large"))
    }

    @Test func mismatchedKeyNamesEachFileOnce() throws {
        defer { pki.remove() }
        let leaf = try pki.selfSignedLeaf("leaf")
        let other = try pki.selfSignedLeaf("other")
        let rejected = try #require(rejection(leaf.certificate, other.key))
        #expect(rejected.description == "private key \(other.key) does not match certificate \(leaf.certificate)")
    }

    @Test func mismatchedKeyShowsWhereSymlinksLead() throws {
        defer { pki.remove() }
        let leaf = try pki.selfSignedLeaf("leaf")
        let other = try pki.selfSignedLeaf("other")
        let certificateLink = try pki.symlink(leaf.certificate, at: "cert-link.pem")
        let keyLink = try pki.symlink(other.key, at: "key-link.pem")
        let rejected = try #require(rejection(certificateLink, keyLink))
        #expect(rejected.description == "private key \(keyLink) (-> \(other.key)) does not match certificate "
                + "\(certificateLink) (-> \(leaf.certificate))")
    }

    @Test func leafIssuedByAnIntermediateAloneIsIncomplete() throws {
        defer { pki.remove() }
        let root = try pki.root("root")
        let intermediate = try pki.issue("intermediate", by: root, isCA: true)
        let leaf = try pki.issue("leaf", by: intermediate)
        let loaded = try load(leaf.certificate, leaf.key, anchors: root.certificate)
        #expect(!loaded.pair.chainIsComplete)
        let warning = try #require(loaded.warnings.first { $0.contains("chain incomplete") })
        #expect(warning.contains("use fullchain.pem, not cert.pem"))
        #expect(warning.contains("CN=intermediate"))
    }

    @Test func fullChainToASelfSignedRootIsComplete() throws {
        defer { pki.remove() }
        let root = try pki.root("root")
        let intermediate = try pki.issue("intermediate", by: root, isCA: true)
        let leaf = try pki.issue("leaf", by: intermediate)
        let withRoot = try pki.concatenate([leaf.certificate, intermediate.certificate, root.certificate],
                                           into: "with-root.pem")
        let loaded = try load(withRoot, leaf.key)
        #expect(loaded.pair.chainIsComplete)
        #expect(loaded.warnings.isEmpty)
        // Without the root: complete when the root is a trust anchor, not otherwise.
        let fullchain = try pki.concatenate([leaf.certificate, intermediate.certificate], into: "fullchain.pem")
        #expect(try load(fullchain, leaf.key, anchors: root.certificate).pair.chainIsComplete)
        #expect(try !load(fullchain, leaf.key).pair.chainIsComplete)
    }

    @Test func leafIssuedByATrustAnchorAloneIsComplete() throws {
        defer { pki.remove() }
        let root = try pki.root("root")
        let leaf = try pki.issue("leaf", by: root)
        #expect(try load(leaf.certificate, leaf.key, anchors: root.certificate).pair.chainIsComplete)
    }

    @Test func intermediatesOutOfOrderAreIncomplete() throws {
        defer { pki.remove() }
        let root = try pki.root("root")
        let upper = try pki.issue("upper", by: root, isCA: true)
        let lower = try pki.issue("lower", by: upper, isCA: true)
        let leaf = try pki.issue("leaf", by: lower)
        let file = try pki.concatenate([leaf.certificate, upper.certificate, lower.certificate], into: "fullchain.pem")
        let loaded = try load(file, leaf.key, anchors: root.certificate)
        #expect(!loaded.pair.chainIsComplete)
        #expect(loaded.warnings.contains { $0.contains("chain incomplete") && $0.contains("use fullchain.pem, not cert.pem") })
    }

    @Test func sameBytesAreReusedButStillCheckedForExpiry() throws {
        defer { pki.remove() }
        let leaf = try pki.selfSignedLeaf("leaf")
        let loader = CertificateLoader(trustAnchors: TrustAnchors(certificateFile: "/dev/null"))
        let first = try loader.load(certificatePath: leaf.certificate, keyPath: leaf.key)
        let again = try loader.load(certificatePath: leaf.certificate, keyPath: leaf.key, earlier: first.pair)
        #expect(!again.parsed)
        #expect(throws: CertificateRejection.self) {
            try loader.load(certificatePath: leaf.certificate, keyPath: leaf.key, earlier: first.pair,
                            now: first.pair.notAfter + 1)
        }
    }
}
