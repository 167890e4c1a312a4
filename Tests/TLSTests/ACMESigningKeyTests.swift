import Testing
@testable import TLS

/// The ACME account key: JWK, RFC 7638 thumbprint, PEM round trip and ES256 signatures checked by `openssl`.
struct ACMESigningKeyTests {
    /// P-256 with the private scalar c9afa9d8...0f6721, PKCS#8 from Python `cryptography`
    /// (`ec.derive_private_key(d, ec.SECP256R1())`).
    static let fixedKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgya+p2EW6dRZrXCFX
        Z7HWk05Qw9s26JsSe4piKxIPZyGhRANCAARg/tS6JVqdMclh63TGNW1owEm4kjth
        +mzmaWIuYPKftnkD/hAIuLyZpBrp6VYovGTy8bIMLX6fUXejwpTURiKZ
        -----END PRIVATE KEY-----

        """
    /// Private scalar 43: its y coordinate starts with a zero byte, which the JWK must keep (32 bytes, left-padded).
    static let paddedKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAAAAAAAAAAAAAAAA
        AAAAAAAAAAAAAAAAAAAAAAAAACuhRANCAASYauJQbx/xBNBCMIYdj0tJj0vExtAJ
        sw91RNwSm4LSjQA8zMCmRg4K4yik2X08e2HYb8YonBifJSURDEQbsH6X
        -----END PRIVATE KEY-----

        """

    /// Expected values computed independently with Python joserfc 1.x:
    /// `ECKey.import_key(pem).as_dict(private=False)` and `ECKey.import_key(pem).thumbprint()`.
    @Test(arguments: [
        (fixedKey, "YP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Y", "eQP-EAi4vJmkGunpVii8ZPLxsgwtfp9Rd6PClNRGIpk",
         "DOvxvJiAdIqVWIkFt5hDtCunXLF0BV4-JGv4f-ALSm0"),
        (paddedKey, "mGriUG8f8QTQQjCGHY9LSY9LxMbQCbMPdUTcEpuC0o0", "ADzMwKZGDgrjKKTZfTx7YdhvxiicGJ8lJREMRBuwfpc",
         "WZsjbh58q8kl1WsGShqtiycImZtCgGbukDn4RAacMig"),
    ])
    func jwkAndThumbprintMatchJoserfc(pem: String, x: String, y: String, thumbprint: String) throws {
        let key = try ACMESigningKey(pem: pem)
        #expect(key.jwk == JSONWebKey(crv: "P-256", kty: "EC", x: x, y: y))
        #expect(Base64URL.decode(key.jwk.y)?.count == 32)
        #expect(key.thumbprint == thumbprint)
    }

    @Test func canonicalJSONHasTheRequiredMembersInLexicographicOrderWithoutSpaces() throws {
        let key = try ACMESigningKey(pem: Self.fixedKey)
        #expect(key.jwk.canonicalJSON == #"{"crv":"P-256","kty":"EC","x":"YP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Y","y":"eQP-EAi4vJmkGunpVii8ZPLxsgwtfp9Rd6PClNRGIpk"}"#)
    }

    @Test func pemRoundTripKeepsTheKey() throws {
        let key = try ACMESigningKey.generate()
        let pem = try key.pem()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let again = try ACMESigningKey(pem: pem)
        #expect(again.jwk == key.jwk)
        #expect(try ACMESigningKey.generate().jwk != key.jwk)
    }

    @Test func keysOtherThanP256AreRefused() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try pki.openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out '\(pki.path("p384.key"))'")
        try pki.openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out '\(pki.path("rsa.key"))'")
        for name in ["p384.key", "rsa.key"] {
            #expect(throws: TLSError.self) { try ACMESigningKey(pem: try pki.read(pki.path(name))) }
        }
        #expect(throws: TLSError.self) { try ACMESigningKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }
    }

    /// The raw r || s is turned back into DER here (not with the code under test) and checked by `openssl dgst`.
    @Test func es256SignatureIsRawRAndSAndVerifiesWithOpenSSL() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let key = try ACMESigningKey(pem: Self.fixedKey)
        let message = Array(#"eyJhbGciOiJFUzI1NiJ9.eyJ0ZXN0Ijp0cnVlfQ"#.utf8)
        for _ in 0..<8 {  // ECDSA is randomised: several signatures, some with a high-bit or short r or s
            let signature = try key.signES256(message)
            #expect(signature.count == 64)
            try pki.write(pki.path("key.pem"), Self.fixedKey)
            try pki.openssl("pkey -in '\(pki.path("key.pem"))' -pubout -out '\(pki.path("pub.pem"))'")
            try pki.write(pki.path("message"), bytes: message)
            try pki.write(pki.path("signature.der"), bytes: Self.der(raw: signature))
            let verified = try pki.openssl("dgst -sha256 -verify '\(pki.path("pub.pem"))'"
                                           + " -signature '\(pki.path("signature.der"))' '\(pki.path("message"))'")
            #expect(verified.contains("Verified OK"))
            try pki.write(pki.path("message"), bytes: message + [0x2e])
            #expect(throws: TestFailure.self) {
                try pki.openssl("dgst -sha256 -verify '\(pki.path("pub.pem"))'"
                                + " -signature '\(pki.path("signature.der"))' '\(pki.path("message"))'")
            }
        }
    }

    @Test func base64URLHasNoPaddingAndTheURLAlphabet() {
        #expect(Base64URL.encode([]) == "")
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.encode("{}") == "e30")
        #expect(Base64URL.encode("foob") == "Zm9vYg")
        #expect(Base64URL.decode("Zm9vYg") == Array("foob".utf8))
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
        #expect(Base64URL.decode("Zm9vYg==") == nil)
        #expect(Base64URL.decode("Z") == nil)
    }

    /// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, each minimal with a 0x00 before a high bit.
    static func der(raw: [UInt8]) -> [UInt8] {
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.isEmpty || value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02, UInt8(value.count)] + value
        }
        let body = integer(raw[0..<32]) + integer(raw[32..<64])
        return [0x30, UInt8(body.count)] + body
    }
}
