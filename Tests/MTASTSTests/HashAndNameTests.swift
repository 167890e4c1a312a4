import MTASTS
import Testing

@Suite struct SHA256Tests {
    /// FIPS 180-2 appendix B vectors, plus padding edges (55, 56, 64, 119 bytes) from Python's hashlib.
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 55), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
        (String(repeating: "a", count: 56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
        (String(repeating: "a", count: 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        (String(repeating: "a", count: 119), "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
    ])
    func vectors(_ message: String, _ digest: String) {
        #expect(SHA256.hex(SHA256.hash(Array(message.utf8))) == digest)
    }

    @Test func oneMillionA() {
        let digest = SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        #expect(SHA256.hex(digest) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func policyID() {
        let rfcExample = Policy(
            mode: .enforce, mx: ["mail.example.com", "*.example.net", "backupmx.example.com"], maxAge: 604800)
        #expect(PolicyID.make(canonical: rfcExample.canonicalBytes) == "b7c7f8ecaf8c62bfd6c8")
        var changed = rfcExample
        changed.maxAge += 1
        #expect(PolicyID.make(canonical: changed.canonicalBytes) != "b7c7f8ecaf8c62bfd6c8")
    }

    @Test func canonicalText() {
        let policy = Policy(mode: .testing, mx: ["mail.example.com", "*.mx.example.net"], maxAge: 86400)
        #expect(policy.canonicalText
            == "version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmx: *.mx.example.net\r\nmax_age: 86400\r\n")
        #expect(Policy(mode: .none, mx: [], maxAge: 0).canonicalText == "version: STSv1\r\nmode: none\r\nmax_age: 0\r\n")
    }
}

@Suite struct PunycodeTests {
    /// RFC 3492 §7.1 samples (A, B, I, L) and the usual German examples, checked against Python's codec.
    @Test(arguments: [
        ("bücher", "bcher-kva"),
        ("münchen", "mnchen-3ya"),
        ("ü", "tda"),
        ("\u{644}\u{64A}\u{647}\u{645}\u{627}\u{628}\u{62A}\u{643}\u{644}\u{645}\u{648}\u{634}\u{639}\u{631}\u{628}\u{64A}\u{61F}",
         "egbpdaj6bu4bxfgehfvwxn"),
        ("他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"),
        ("почемужеонинеговорятпорусски", "b1abfaaepdrnnbgefbadotcwatmq2g4l"),
        ("3年B組金八先生", "3B-ww4c5e180e575a65lsy2b"),
        ("-> $1.00 <-", "-> $1.00 <--"),
    ])
    func rfc3492(_ label: String, _ encoded: String) {
        #expect(Punycode.encode(label) == encoded)
    }

    @Test(arguments: [
        ("bücher.example", "xn--bcher-kva.example"),
        ("München.DE", "xn--mnchen-3ya.de"),
        ("*.bücher.example", "*.xn--bcher-kva.example"),
        ("Example.COM", "example.com"),
    ])
    func toASCII(_ name: String, _ ascii: String) {
        #expect(DomainName.toASCII(name) == ascii)
    }
}

@Suite struct DomainNameTests {
    @Test(arguments: ["example.com", "xn--bcher-kva.example", "a.b", "mail-1.example.co.uk", "3com.com"])
    func valid(_ name: String) {
        #expect(DomainName.isValidPolicyDomain(name))
        #expect(DomainName.policyDomainProblem(name) == nil)
    }

    @Test(arguments: [
        ("Example.com", "upper case"), ("example.com.", "ends with a dot"), ("localhost", "single label"),
        ("bücher.example", "not ASCII"), ("-x.example", "starts with \"-\""), ("x-.example", "ends with \"-\""),
        ("a..example", "empty label"), ("", "is empty"), ("*.example.com", "contains \"*\""),
        ("under_score.example", "contains \"_\""), ("192.0.2.1", "all-digit"),
        (String(repeating: "a", count: 64) + ".example", "label of 64"),
    ])
    func invalid(_ name: String, _ problem: String) {
        #expect(!DomainName.isValidPolicyDomain(name))
        #expect(DomainName.policyDomainProblem(name)?.contains(problem) == true, "\(String(describing: DomainName.policyDomainProblem(name)))")
    }
}

@Suite struct DNSRecordsTests {
    @Test func zoneText() {
        let records = DNSRecords(domain: "example.com", id: "0123456789abcdef0123")
        #expect(records.zoneText == """
            ; mta-sts.example.com must resolve to this host (A/AAAA, or a CNAME to it).
            _mta-sts.example.com. 3600 IN TXT "v=STSv1; id=0123456789abcdef0123"
            ; Optional TLS reporting (RFC 8460); use a mailbox you read:
            ; _smtp._tls.example.com. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"

            """)
    }

    @Test func json() {
        let records = DNSRecords(domain: "example.com", id: "abc", ttl: 300)
        #expect(records.json == #"{"domain": "example.com", "id": "abc", "name": "_mta-sts.example.com", "#
            + #""type": "TXT", "ttl": 300, "value": "v=STSv1; id=abc", "policy_host": "mta-sts.example.com"}"#)
        #expect(records.policyHost == "mta-sts.example.com")
        #expect(records.tlsrptName == "_smtp._tls.example.com")
    }
}
