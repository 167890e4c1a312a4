import Reactor
import Testing
@testable import Server

struct ReloadScopeTests {
    var configuration: ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.policiesDirectory = "/srv/policies/"
        configuration.certificatesDirectory = "/srv/certs"
        return configuration
    }

    func scope(_ paths: [String], complete: Bool = true) -> [String]? {
        ReloadScope.policyNames(in: FileChanges(paths: Set(paths), isComplete: complete), configuration: configuration)?.sorted()
    }

    @Test func policyFilesAloneReloadOnlyThemselves() {
        #expect(scope(["/srv/policies//a.test.txt", "/srv/policies//.a.test.txt.swp", "/srv/policies//b.test.txt"])
                == ["a.test.txt", "b.test.txt"])
        #expect(scope(["/srv/policies//notes.md"]) == [])
    }

    @Test(arguments: [
        ["/srv/certs/a/fullchain.pem"],
        ["/srv/policies//a.test.txt", "/srv/certs/tls.crt"],
        ["/srv/policies//..data"],
        ["/srv/policies//misnamed.json"],
        ["/srv/policies/sub/a.test.txt"],
    ])
    func anythingElseReloadsEverything(paths: [String]) {
        #expect(scope(paths) == nil)
    }

    @Test func lostEventsReloadEverything() {
        #expect(scope(["/srv/policies//a.test.txt"], complete: false) == nil)
    }
}
