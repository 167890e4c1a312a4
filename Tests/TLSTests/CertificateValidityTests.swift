import Testing
import TLS

struct CertificateValidityTests {
    static let notBefore = 1_000
    static let notAfter = 100 * 86_400
    static let cases: [(now: Int, expected: CertificateValidity)] = [
        (0, .notYetValid),
        (notBefore, .valid),
        (notAfter - 14 * 86_400, .valid),
        (notAfter - 14 * 86_400 + 1, .expiresSoon(days: 13)),
        (notAfter - 1, .expiresSoon(days: 0)),
        (notAfter, .expired),
    ]

    @Test(arguments: cases)
    func judgesTheValidityPeriod(now: Int, expected: CertificateValidity) {
        #expect(CertificateValidity(notBefore: Self.notBefore, notAfter: Self.notAfter, now: now) == expected)
    }

    @Test func formatsDatesInUTC() {
        #expect(CertificateValidity.utcDate(0) == "1970-01-01 00:00:00 UTC")
        #expect(CertificateValidity.utcDate(1_750_000_000) == "2025-06-15 15:06:40 UTC")
    }
}
