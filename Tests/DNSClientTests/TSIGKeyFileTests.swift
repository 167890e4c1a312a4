import Testing
@testable import DNSClient

struct TSIGKeyFileTests {
    private let secret = "pK3Pq3zXxH4mZ6xWkfzH4mBJ0nG2tQ9Xx9lIYf1Dq6E="

    @Test func readsWhatTsigKeygenWrites() throws {
        let text = """
        key "mta-sts-host" {
        \talgorithm hmac-sha256;
        \tsecret "\(secret)";
        };

        """
        #expect(try TSIGKeyFile.parse(text) == TSIGKey(name: "mta-sts-host", algorithm: .hmacSHA256, secret: secret))
    }

    @Test func skipsCommentsAndTakesTheFirstKey() throws {
        let text = """
        # ddns-confgen output
        // another comment
        /* a block
           comment */
        key "Update-Key.Example." { algorithm HMAC-SHA512; secret "\(secret)"; };
        key "other" { algorithm hmac-sha1; secret "\(secret)"; };
        """
        let key = try TSIGKeyFile.parse(text)
        #expect(key == TSIGKey(name: "update-key.example", algorithm: .hmacSHA512, secret: secret))
    }

    @Test func readsTheOneLineFormOfNsupdateAndKnsupdate() throws {
        #expect(try TSIGKeyFile.parse("hmac-sha256:k1:\(secret)\n") == TSIGKey(name: "k1", algorithm: .hmacSHA256, secret: secret))
        #expect(try TSIGKeyFile.parse("k2:\(secret)") == TSIGKey(name: "k2", algorithm: .hmacSHA256, secret: secret))
        #expect(try TSIGKeyFile.parse("hmac-md5.sig-alg.reg.int:k3:\(secret)").algorithm == .hmacMD5)
    }

    @Test(arguments: [
        ("", "no key"),
        ("key \"k\" { algorithm hmac-sha256; };", "no secret"),
        ("key \"k\" { secret \"\(String(repeating: "A", count: 44))\"; };", "no algorithm"),
        ("key \"k\" { algorithm hmac-sha384x; secret \"AAAA\"; };", "not supported"),
        ("key \"k\" { algorithm hmac-sha256; secret \"not base64!\"; };", "not base64"),
        ("key \"k\" { algorithm hmac-sha256; secret \"AAAA; };", "not closed"),
        ("key \"k\" { algorithm hmac-sha256 secret \"AAAA\"; };", "expected `algorithm NAME;`"),
        ("zone \"example\" { };", "expected `key"),
    ])
    func saysWhatIsWrong(text: String, expected: String) {
        do {
            _ = try TSIGKeyFile.parse(text)
            Issue.record("parsed \(text)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func namesTheAlgorithmAsTheTSIGRecordDoes() {
        #expect(TSIGKey.Algorithm.hmacSHA256.wireName == "hmac-sha256.")
        #expect(TSIGKey.Algorithm.hmacMD5.wireName == "hmac-md5.sig-alg.reg.int.")
    }

    @Test func quotesTextForTheZoneFileSyntax() {
        #expect(DNSUpdater.quoted("v=STSv1; id=abc") == "\"v=STSv1; id=abc\"")
        #expect(DNSUpdater.quoted("a\"b\\c") == "\"a\\\"b\\\\c\"")
    }
}
