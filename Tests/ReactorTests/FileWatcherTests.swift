import Dispatch
import Glibc
import Testing
@testable import Reactor

/// FileWatcher against real directories and real inotify.
@Suite(.serialized)
struct FileWatcherTests {
    @Test func fileWrittenInTwoPartsIsReportedOnceAfterItsClose() throws {
        let tree = WatchedTree()
        tree.makeDirectory("policies")
        try tree.watch(["policies"])
        let file = tree.path("policies/example.com.txt")
        let descriptor = tree.open(relative: "policies/example.com.txt")
        tree.append(descriptor, "version: STSv1\n")
        #expect(tree.eventually { $0.pathsBeingWritten == [file] })
        // The pause a writer takes between lines: nothing is reported while the file is half-written.
        #expect(tree.nothing(for: 0.5))
        tree.append(descriptor, "mode: enforce\nmx: mail.example.com\nmax_age: 86400\n")
        close(descriptor)
        let change = tree.change { $0.paths.contains(file) }
        #expect(change?.paths == [file])
        #expect(change?.isComplete == true)
        #expect(tree.onQueue { $0.pathsBeingWritten }.isEmpty)
        #expect(tree.nothing(for: 0.5))
    }

    @Test func fileNeverClosedIsReportedAfterTheTimeout() throws {
        let tree = WatchedTree()
        tree.makeDirectory("policies")
        try tree.watch(["policies"], unclosedWriteTimeout: .milliseconds(300))
        let file = tree.path("policies/example.com.txt")
        let descriptor = tree.open(relative: "policies/example.com.txt")
        defer { close(descriptor) }
        tree.append(descriptor, "version: STSv1\n")
        #expect(tree.change { $0.paths.contains(file) } != nil)
        #expect(tree.onQueue { $0.pathsBeingWritten }.isEmpty)
    }

    @Test func fileRenamedIntoPlaceIsReportedAtOnce() throws {
        let tree = WatchedTree()
        tree.makeDirectory("policies")
        tree.write("staged.tmp", "version: STSv1\n")
        try tree.watch(["policies"])
        tree.rename("staged.tmp", "policies/example.com.txt")
        let change = tree.change()
        #expect(change?.paths == [tree.path("policies/example.com.txt")])
    }

    @Test func rootDeletedAndRecreatedIsWatchedAgain() throws {
        let tree = WatchedTree()
        tree.makeDirectory("certs")
        tree.makeDirectory("certs/example.com")
        try tree.watch(["certs"])
        let root = tree.path("certs")
        tree.remove("certs")
        #expect(tree.change { !$0.isComplete } != nil)
        tree.makeDirectory("certs")
        let back = tree.change { !$0.replacedRoots.isEmpty }
        #expect(back?.replacedRoots == [root])
        #expect(back?.isComplete == false)
        tree.write("certs/tls.crt", "certificate")
        #expect(tree.change { $0.paths.contains(root + "/tls.crt") } != nil)
    }

    @Test func symlinkedRootWhoseTargetIsDeletedAndRecreatedIsWatchedAgain() throws {
        let tree = WatchedTree()
        tree.makeDirectory("srv")
        tree.makeDirectory("srv/policies")
        tree.symlink("srv/policies", at: "policies")
        try tree.watch(["policies"])
        let root = tree.path("policies")
        tree.remove("srv/policies")
        #expect(tree.change { !$0.isComplete } != nil)
        tree.makeDirectory("srv/policies")
        #expect(tree.change { !$0.replacedRoots.isEmpty }?.replacedRoots == [root])
        tree.write("srv/policies/example.com.txt", "version: STSv1\n")
        #expect(tree.change { $0.paths.contains(root + "/example.com.txt") } != nil)
    }

    @Test func rootSwappedWithMvTIsFollowedAndTheOldTargetLetGo() throws {
        let tree = WatchedTree()
        tree.makeDirectory("A")
        tree.makeDirectory("A/sub")
        tree.makeDirectory("B")
        tree.symlink("A", at: "policies")
        try tree.watch(["policies"])
        let root = tree.path("policies")
        // ln -s B tmp; mv -T tmp policies
        tree.symlink("B", at: "tmp")
        tree.rename("tmp", "policies")
        let swapped = tree.change { !$0.replacedRoots.isEmpty }
        #expect(swapped?.replacedRoots == [root])
        #expect(swapped?.isComplete == false)
        tree.write("A/example.com.txt", "version: STSv1\n")
        tree.write("A/sub/example.net.txt", "version: STSv1\n")
        #expect(tree.nothing(for: 1))
        tree.write("B/example.org.txt", "version: STSv1\n")
        #expect(tree.change()?.paths == [root + "/example.org.txt"])
        #expect(tree.onQueue { $0.watchCount } == 2)
    }

    @Test func refreshRootsSeesASwapAboveTheRootsDirectory() throws {
        let tree = WatchedTree()
        tree.makeDirectory("one")
        tree.makeDirectory("one/policies")
        tree.makeDirectory("two")
        tree.makeDirectory("two/policies")
        tree.symlink("one", at: "current")
        try tree.watch(["current/policies"])
        #expect(tree.onQueue { $0.refreshRoots() }.isEmpty)
        tree.symlink("two", at: "next")
        tree.rename("next", "current")
        #expect(tree.onQueue { $0.refreshRoots() } == [tree.path("current/policies")])
        tree.write("one/policies/example.com.txt", "version: STSv1\n")
        #expect(tree.nothing(for: 1))
        tree.write("two/policies/example.com.txt", "version: STSv1\n")
        #expect(tree.change()?.paths == [tree.path("current/policies/example.com.txt")])
    }

    @Test func excludedDirectoriesInsideARootCauseNoChanges() throws {
        let tree = WatchedTree()
        tree.makeDirectory("certs")
        tree.makeDirectory("certs/state")
        tree.makeDirectory("certs/state/deeper")
        try tree.watch(["certs"], excluding: ["certs/state", "certs/later"])
        // The root and the directory holding it.
        #expect(tree.onQueue { $0.watchCount } == 2)
        tree.write("certs/state/status.json", "{}")
        tree.write("certs/state/deeper/status.json", "{}")
        tree.makeDirectory("certs/later")
        tree.write("certs/later/status.json", "{}")
        tree.rename("certs/later/status.json", "certs/later/status.json.old")
        #expect(tree.nothing(for: 1))
        tree.write("certs/tls.crt", "certificate")
        #expect(tree.change()?.paths == [tree.path("certs/tls.crt")])
        #expect(tree.onQueue { $0.watchCount } == 2)
    }

    @Test func directorySymlinkLeavingTheRootIsNotFollowed() throws {
        let tree = WatchedTree()
        tree.makeDirectory("certs")
        tree.makeDirectory("certs/example.com")
        tree.symlink("/", at: "certs/everything")
        tree.symlink("example.com", at: "certs/alias")
        try tree.watch(["certs"])
        // The directory holding the root, the root and example.com (also reached through alias).
        #expect(tree.onQueue { $0.watchCount } == 3)
        let warning = "\(tree.path("certs/everything")): directory symlink leaves \(tree.path("certs")); not followed"
        #expect(tree.warnings == [warning])
        // A new directory means a new walk; the link is not reported again.
        tree.makeDirectory("certs/example.net")
        #expect(tree.change { !$0.isComplete } != nil)
        #expect(tree.onQueue { $0.watchCount } == 4)
        #expect(tree.warnings == [warning])
    }

    @Test func watchesGoWithTheirDirectories() throws {
        let tree = WatchedTree()
        tree.makeDirectory("certs")
        tree.makeDirectory("certs/moved")
        tree.makeDirectory("certs/moved/inner")
        tree.makeDirectory("certs/deleted")
        try tree.watch(["certs"])
        #expect(tree.onQueue { $0.watchCount } == 5)
        tree.rename("certs/moved", "elsewhere")
        tree.remove("certs/deleted")
        #expect(tree.eventually { $0.watchCount == 2 })
        tree.write("elsewhere/inner/tls.crt", "certificate")
        // Only the move and the deletion, never the write in the directory moved away.
        while let change = tree.change(within: 1) {
            #expect(!change.paths.contains { $0.hasSuffix("tls.crt") })
        }
    }
}
