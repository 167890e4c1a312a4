import Testing
@testable import Server

struct UncoveredNameLogTests {
    /// Refuses each name in turn; returns whether each refusal was the one to log.
    func refuse(_ log: inout UncoveredNameLog, _ hosts: [String], served: Bool = true) -> [Bool] {
        hosts.map { log.refused($0, served: served) }
    }

    @Test func aServedNameIsLoggedAtItsFirstRefusalOnly() {
        var log = UncoveredNameLog()
        let logged = refuse(&log, ["mta-sts.a.test", "mta-sts.a.test", "mta-sts.a.test", "mta-sts.b.test"])
        #expect(logged == [true, false, false, true])
    }

    @Test func aNameWithoutAPolicyIsNeverLogged() {
        var log = UncoveredNameLog()
        #expect(refuse(&log, ["mta-sts.made-up.test", "mta-sts.made-up.test"], served: false) == [false, false])
    }

    @Test func aNameThatGotACertificateIsLoggedAgainOnceItLosesIt() {
        var log = UncoveredNameLog()
        #expect(refuse(&log, ["mta-sts.a.test", "mta-sts.b.test"]) == [true, true])
        log.catalogInstalled(stillUncovered: { $0 == "mta-sts.b.test" })  // a got its certificate
        #expect(refuse(&log, ["mta-sts.a.test", "mta-sts.b.test"]) == [true, false])
    }
}
