import Testing
@testable import HTTP

struct HostNameTests {
    @Test(arguments: [
        ("MTA-STS.Example.COM", "mta-sts.example.com"),
        ("mta-sts.example.com:443", "mta-sts.example.com"),
        ("mta-sts.example.com.", "mta-sts.example.com"),
        ("mta-sts.example.com.:8443", "mta-sts.example.com"),
        ("mta-sts.example.com:", "mta-sts.example.com"),
        ("[::1]", "[::1]"),
        ("[2001:DB8::1]:443", "[2001:db8::1]"),
        ("[::1]:", "[::1]"),
    ])
    func normalizes(value: String, host: String) {
        #expect(HostName.normalize(value) == host)
    }

    @Test(arguments: [
        "", ".", ":443", "example.com:44x", "example.com:-1", "[::1", "[::1]x", "[::1]:4a",
        "user@example.com", "example.com/path", "exa mple.com", "exämple.com", "example.com:4\u{0663}",
        "example.com\u{301}",
    ])
    func rejects(value: String) {
        #expect(HostName.normalize(value) == nil)
    }
}
