import Testing
@testable import Issuance

struct IssuanceBookTests {
    private let hosts = ["mta-sts.a.test": "a.test", "mta-sts.b.test": "b.test", "mta-sts.c.test": "c.test"]

    private func book(maxInFlight: Int = 2) -> IssuanceBook {
        var book = IssuanceBook(maxInFlight: maxInFlight)
        book.want(hosts, issued: [:], now: 100, jitter: { _ in 0 })
        return book
    }

    @Test func namesWithoutACertificateAreDueAtOnceWithinTheInFlightBound() {
        var book = book()
        #expect(book.takeDue(now: 100) == ["mta-sts.a.test", "mta-sts.b.test"])
        #expect(book.takeDue(now: 100) == [])
        book.succeeded("mta-sts.a.test", certificate: .init(notBefore: 100, notAfter: 100 + 90 * 86_400), now: 150)
        #expect(book.takeDue(now: 150) == ["mta-sts.c.test"])
    }

    @Test func anIssuedCertificateIsRenewedWhenAThirdOfItsLifetimeRemains() {
        var book = IssuanceBook(maxInFlight: 4)
        book.want(["mta-sts.a.test": "a.test"], issued: ["mta-sts.a.test": .init(notBefore: 0, notAfter: 120)],
                  now: 10, jitter: { _ in 0 })
        #expect(book.takeDue(now: 79) == [])
        #expect(book.nextWakeUp == 80)
        #expect(book.takeDue(now: 80) == ["mta-sts.a.test"])
    }

    @Test func aFailingNameBacksOffWithoutHoldingUpTheOthers() {
        var book = book(maxInFlight: 1)
        #expect(book.takeDue(now: 100) == ["mta-sts.a.test"])
        book.failed("mta-sts.a.test", error: "urn:ietf:params:acme:error:connection: refused", now: 110)
        #expect(book.entries["mta-sts.a.test"]?.nextAttempt == 170)
        #expect(book.takeDue(now: 110) == ["mta-sts.b.test"])
        book.failed("mta-sts.b.test", error: "x", now: 120)
        #expect(book.takeDue(now: 120) == ["mta-sts.c.test"])
        book.succeeded("mta-sts.c.test", certificate: .init(notBefore: 120, notAfter: 1_000_000), now: 130)
        #expect(book.takeDue(now: 169) == [])
        #expect(book.takeDue(now: 170) == ["mta-sts.a.test"])
        book.failed("mta-sts.a.test", error: "again", now: 175)
        #expect(book.entries["mta-sts.a.test"]?.failures == 2)
        #expect(book.entries["mta-sts.a.test"]?.nextAttempt == 175 + 120)
        #expect(book.entries["mta-sts.a.test"]?.lastError == "again")
    }

    @Test func rateLimitedWaitsAsLongAsTheCAAsks() {
        var book = book()
        _ = book.takeDue(now: 100)
        book.failed("mta-sts.a.test", error: "rateLimited", retryAfter: 3_600, now: 100)
        #expect(book.entries["mta-sts.a.test"]?.nextAttempt == 3_700)
    }

    @Test func successClearsTheErrorAndSchedulesTheRenewal() {
        var book = book(maxInFlight: 3)
        _ = book.takeDue(now: 100)
        book.failed("mta-sts.a.test", error: "boom", now: 100)
        #expect(book.takeDue(now: 160).contains("mta-sts.a.test"))
        book.succeeded("mta-sts.a.test", certificate: .init(notBefore: 160, notAfter: 280), now: 161)
        let entry = book.entries["mta-sts.a.test"]
        #expect(entry?.failures == 0 && entry?.lastError == nil && entry?.inFlight == false)
        #expect(entry?.nextAttempt == 240)
    }

    @Test func aRemovedDomainIsNoLongerRenewedAndItsResultIsNotInstalled() {
        var book = book()
        #expect(book.takeDue(now: 100) == ["mta-sts.a.test", "mta-sts.b.test"])
        book.want(["mta-sts.b.test": "b.test", "mta-sts.c.test": "c.test"], issued: [:], now: 101, jitter: { _ in 0 })
        #expect(!book.isWanted("mta-sts.a.test"))
        book.succeeded("mta-sts.a.test", certificate: .init(notBefore: 0, notAfter: 10), now: 102)
        #expect(book.entries["mta-sts.a.test"] == nil)
        #expect(book.takeDue(now: 200) == ["mta-sts.c.test"])
    }

    @Test func aCertificateFoundOnDiskAtStartIsNotOrderedAgain() {
        var book = IssuanceBook(maxInFlight: 4)
        book.want(hosts, issued: ["mta-sts.a.test": .init(notBefore: 0, notAfter: 90 * 86_400)], now: 100,
                  jitter: { _ in 0 })
        #expect(book.takeDue(now: 100) == ["mta-sts.b.test", "mta-sts.c.test"])
    }

    @Test func aCertificateInstalledByAReloadMovesTheRenewal() {
        var book = book()
        _ = book.takeDue(now: 100)
        book.succeeded("mta-sts.a.test", certificate: .init(notBefore: 100, notAfter: 220), now: 100)
        book.want(hosts, issued: ["mta-sts.a.test": .init(notBefore: 200, notAfter: 320)], now: 200,
                  jitter: { _ in 0 })
        #expect(book.entries["mta-sts.a.test"]?.nextAttempt == 280)
    }

    @Test func eachIssuedCertificateIsAskedAboutOnceAndAnEarlierWindowMovesItsRenewal() {
        var book = IssuanceBook(maxInFlight: 4)
        let certificate = IssuanceBook.Validity(notBefore: 0, notAfter: 90 * 86_400)
        book.want(["mta-sts.a.test": "a.test", "mta-sts.b.test": "b.test"], issued: ["mta-sts.a.test": certificate],
                  now: 100, jitter: { _ in 0 })
        let queries = book.takeRenewalInfoQueries()
        #expect(queries.map(\.host) == ["mta-sts.a.test"])
        #expect(book.takeRenewalInfoQueries().isEmpty)
        #expect(book.entries["mta-sts.a.test"]?.nextAttempt == 60 * 86_400)
        book.suggested(.init(start: 10 * 86_400, end: 10 * 86_400), host: "mta-sts.a.test", for: certificate)
        #expect(book.entries["mta-sts.a.test"]?.nextAttempt == 10 * 86_400)
        // An answer about a certificate replaced meanwhile changes nothing.
        let renewed = IssuanceBook.Validity(notBefore: 86_400, notAfter: 91 * 86_400)
        book.want(["mta-sts.a.test": "a.test"], issued: ["mta-sts.a.test": renewed], now: 200, jitter: { _ in 0 })
        book.suggested(.init(start: 5 * 86_400, end: 5 * 86_400), host: "mta-sts.a.test", for: certificate)
        #expect(book.entries["mta-sts.a.test"]?.nextAttempt == 61 * 86_400)
        #expect(book.takeRenewalInfoQueries().map(\.certificate) == [renewed])
    }
}
