import Testing
@testable import DNSPublication

struct PublicationBookTests {
    private let ids = ["a.test": "1a", "b.test": "1b", "c.test": "1c"]

    private func book(maxInFlight: Int = 2, removes: Bool = false) -> PublicationBook {
        var book = PublicationBook(maxInFlight: maxInFlight, removesRetiredDomains: removes)
        #expect(book.want(ids) == [])
        return book
    }

    private func domains(_ due: [(domain: String, id: String?)]) -> [String] { due.map { $0.domain } }

    @Test func startPublishesEveryDomainWithinTheInFlightBound() {
        var book = book()
        let first = book.takeDue(now: 0)
        #expect(first.map { $0.domain } == ["a.test", "b.test"])
        #expect(first.map { $0.id } == ["1a", "1b"])
        #expect(book.takeDue(now: 0).isEmpty)
        book.succeeded("a.test", id: "1a")
        #expect(domains(book.takeDue(now: 0)) == ["c.test"])
        #expect(book.entries["a.test"]?.state == .idle)
        #expect(book.entries["a.test"]?.published == "1a")
    }

    @Test func onlyAChangedIdIsPublishedAgain() {
        var book = book(maxInFlight: 8)
        for (domain, id) in book.takeDue(now: 0) { book.succeeded(domain, id: id) }
        #expect(book.want(["a.test": "1a", "b.test": "2b", "c.test": "1c"]) == [])
        #expect(book.takeDue(now: 5).map { $0.domain } == ["b.test"])
        #expect(book.pendingCount == 1)
    }

    @Test func aFailureBacksOffWithoutHoldingUpTheOthers() {
        var book = book(maxInFlight: 1)
        #expect(domains(book.takeDue(now: 100)) == ["a.test"])
        book.failed("a.test", error: "NOTAUTH (TSIG BADSIG)", now: 100)
        #expect(book.entries["a.test"]?.state == .waiting(until: 110))
        #expect(book.entries["a.test"]?.lastError == "NOTAUTH (TSIG BADSIG)")
        #expect(book.nextWakeUp == 110)
        #expect(domains(book.takeDue(now: 101)) == ["b.test"])
        book.succeeded("b.test", id: "1b")
        #expect(domains(book.takeDue(now: 102)) == ["c.test"])
        book.failed("c.test", error: "timeout", now: 103)
        #expect(domains(book.takeDue(now: 109)) == [])
        #expect(domains(book.takeDue(now: 110)) == ["a.test"])
        book.failed("a.test", error: "NOTAUTH", now: 110)
        #expect(book.entries["a.test"]?.failures == 2)
        #expect(book.entries["a.test"]?.state == .waiting(until: 130))
        #expect(book.nextWakeUp == 113)
        #expect(domains(book.takeDue(now: 113)) == ["c.test"])
        book.succeeded("c.test", id: "1c")
        #expect(book.entries["c.test"]?.failures == 0)
        #expect(book.entries["c.test"]?.lastError == nil)
    }

    @Test func backOffDoublesUpToAnHour() {
        #expect((1...5).map(PublicationBackoff.delay(afterFailures:)) == [10, 20, 40, 80, 160])
        #expect(PublicationBackoff.delay(afterFailures: 40) == 3_600)
    }

    @Test func aNewIdEndsTheBackOffAtOnce() {
        var book = book(maxInFlight: 1)
        _ = book.takeDue(now: 0)
        book.failed("a.test", error: "timeout", now: 0)
        _ = book.want(["a.test": "2a", "b.test": "1b", "c.test": "1c"])
        #expect(book.entries["a.test"]?.failures == 0)
        // b.test was queued first; a.test's new id waits its turn, not its back-off.
        #expect(domains(book.takeDue(now: 1)) == ["b.test"])
        book.succeeded("b.test", id: "1b")
        #expect(domains(book.takeDue(now: 1)) == ["c.test"])
        book.succeeded("c.test", id: "1c")
        #expect(book.takeDue(now: 1).map { $0.id } == ["2a"])
    }

    @Test func anIdThatChangesDuringAnUpdateIsPublishedRightAfterIt() {
        var book = book(maxInFlight: 4)
        #expect(book.takeDue(now: 0).count == 3)
        _ = book.want(["a.test": "2a", "b.test": "1b", "c.test": "1c"])
        // Never two updates of one name at once: their order at the server would be a race.
        #expect(domains(book.takeDue(now: 0)) == [])
        book.succeeded("a.test", id: "1a")
        #expect(book.entries["a.test"]?.published == "1a")
        #expect(book.takeDue(now: 0).map { $0.id } == ["2a"])
    }

    @Test func aChangeDuringAFailingUpdateIsNotBackedOff() {
        var book = book(maxInFlight: 4)
        _ = book.takeDue(now: 0)
        _ = book.want(["a.test": "2a", "b.test": "1b", "c.test": "1c"])
        book.failed("a.test", error: "timeout", now: 0)
        #expect(book.takeDue(now: 0).map { $0.id } == ["2a"])
    }

    @Test func aRetiredDomainIsLeftInDNSAndForgottenByDefault() {
        var book = book(maxInFlight: 8)
        for (domain, id) in book.takeDue(now: 0) { book.succeeded(domain, id: id) }
        #expect(book.want(["a.test": "1a", "b.test": "1b"]) == ["c.test"])
        #expect(book.entries["c.test"] == nil)
        #expect(book.takeDue(now: 0).isEmpty)
        // Said once: the next load does not retire it again.
        #expect(book.want(["a.test": "1a", "b.test": "1b"]) == [])
    }

    @Test func aRetiredDomainIsRemovedWhenAskedAndThenForgotten() {
        var book = book(maxInFlight: 8, removes: true)
        for (domain, id) in book.takeDue(now: 0) { book.succeeded(domain, id: id) }
        #expect(book.want(["a.test": "1a", "b.test": "1b"]) == [])
        let due = book.takeDue(now: 0)
        #expect(due.map { $0.domain } == ["c.test"])
        #expect(due.map { $0.id } == [nil])
        book.succeeded("c.test", id: nil)
        #expect(book.entries["c.test"] == nil)
    }

    @Test func aDomainBackDuringItsRemovalIsPublishedAgain() {
        var book = book(maxInFlight: 8, removes: true)
        for (domain, id) in book.takeDue(now: 0) { book.succeeded(domain, id: id) }
        _ = book.want(["a.test": "1a", "b.test": "1b"])
        _ = book.takeDue(now: 0)
        _ = book.want(ids)
        book.succeeded("c.test", id: nil)
        #expect(book.takeDue(now: 0).map { $0.id } == ["1c"])
    }

    @Test func thousandsOfChangesAreTakenInOrderAndInBounds() {
        var book = PublicationBook(maxInFlight: 8, removesRetiredDomains: false)
        let many = Dictionary(uniqueKeysWithValues: (0..<5_000).map { (String(format4($0)) + ".test", "id\($0)") })
        _ = book.want(many)
        var published = 0
        var order: [String] = []
        while true {
            let due = book.takeDue(now: 0)
            if due.isEmpty { break }
            #expect(due.count <= 8)
            for (domain, id) in due {
                order.append(domain)
                book.succeeded(domain, id: id)
                published += 1
            }
        }
        #expect(published == 5_000)
        #expect(order == order.sorted())
        #expect(book.pendingCount == 0)
    }

    @Test func recordNamesFollowTheTemplate() {
        #expect(PublicationName.render(PublicationName.standardTemplate, domain: "example.com") == "_mta-sts.example.com")
        #expect(PublicationName.render("_mta-sts.{domain}.sts.Provider.example.", domain: "a.test") == "_mta-sts.a.test.sts.provider.example")
        #expect(PublicationName.problem(with: "_mta-sts.example.com") != nil)
        #expect(PublicationName.problem(with: "_mta-sts.{domain}") == nil)
    }
}

private func format4(_ number: Int) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(4 - digits.count, 0)) + digits
}
