import Testing
@testable import Reactor

struct WatchedRootTests {
    @Test(arguments: [
        ("policies", ".", "policies"),
        ("policies/", ".", "policies"),
        ("/srv/policies//", "/srv", "policies"),
        ("/certs", "/", "certs"),
        ("a/b/c", "a/b", "c"),
    ])
    func holderIsTheDirectoryAbove(path: String, directory: String, name: String) {
        let holder = WatchedRoot.split(path)
        #expect(holder?.directory == directory)
        #expect(holder?.name == name)
    }

    @Test(arguments: ["/", "//", ".", "..", "a/.."])
    func someRootsHaveNoEntryToFollow(path: String) {
        #expect(WatchedRoot.split(path) == nil)
    }
}
