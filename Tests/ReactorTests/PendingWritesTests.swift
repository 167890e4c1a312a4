import Dispatch
import Testing
@testable import Reactor

struct PendingWritesTests {
    /// One step of a case: an event on a path, or a look for writers gone quiet, `at` milliseconds in.
    enum Step: Sendable, CustomStringConvertible {
        case event(Int, String, PendingWrites.Event)
        case expire(Int)

        var description: String {
            switch self {
            case let .event(at, path, event): "\(at) ms \(path) \(event)"
            case let .expire(at): "\(at) ms expire"
            }
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let steps: [Step]
        /// Paths reported, in order, by the events and the looks.
        let reported: [String]
        /// Still being written after the last step.
        let writing: Set<String>

        var testDescription: String { name }
    }

    static func instant(_ milliseconds: Int) -> DispatchTime {
        // Away from zero, which Dispatch reads as "now".
        DispatchTime(uptimeNanoseconds: 1_000_000_000 + UInt64(milliseconds) * 1_000_000)
    }

    static let cases: [Case] = [
        Case(name: "a write is reported once, at its close",
             steps: [.event(0, "a", .written), .event(100, "a", .written), .expire(200), .event(300, "a", .closed)],
             reported: ["a"], writing: []),
        Case(name: "a rename into place is reported at once",
             steps: [.event(0, "a", .replaced)], reported: ["a"], writing: []),
        Case(name: "a rename over a file being written ends that write",
             steps: [.event(0, "a", .written), .event(10, "a", .replaced), .expire(10_000)],
             reported: ["a"], writing: []),
        Case(name: "a deleted file being written is reported at once and not again",
             steps: [.event(0, "a", .written), .event(10, "a", .replaced), .expire(6_000)],
             reported: ["a"], writing: []),
        Case(name: "attributes of a file nobody writes are reported at once",
             steps: [.event(0, "a", .attributesChanged)], reported: ["a"], writing: []),
        Case(name: "attributes of a file being written wait for its close",
             steps: [.event(0, "a", .written), .event(10, "a", .attributesChanged), .event(20, "a", .closed)],
             reported: ["a"], writing: []),
        Case(name: "a close without a write seen is reported",
             steps: [.event(0, "a", .closed)], reported: ["a"], writing: []),
        Case(name: "an unclosed write is reported the timeout after its last write",
             steps: [.event(0, "a", .written), .event(4_000, "a", .written), .expire(8_999), .expire(9_000)],
             reported: ["a"], writing: []),
        Case(name: "an unclosed write is still pending before its timeout",
             steps: [.event(0, "a", .written), .expire(4_999)], reported: [], writing: ["a"]),
        Case(name: "files being written are independent",
             steps: [.event(0, "a", .written), .event(0, "b", .written), .event(10, "a", .closed), .event(20, "c", .replaced)],
             reported: ["a", "c"], writing: ["b"]),
        Case(name: "quiet writers are reported together, in order",
             steps: [.event(0, "b", .written), .event(1, "a", .written), .expire(5_001)],
             reported: ["a", "b"], writing: []),
    ]

    @Test(arguments: cases)
    func reports(_ testCase: Case) {
        var writes = PendingWrites(timeout: .seconds(5))
        var reported: [String] = []
        for step in testCase.steps {
            switch step {
            case let .event(at, path, event):
                if writes.note(event, path: path, at: Self.instant(at)) { reported.append(path) }
            case let .expire(at):
                reported += writes.expire(at: Self.instant(at))
            }
        }
        #expect(reported == testCase.reported)
        #expect(writes.paths == testCase.writing)
    }

    @Test func nextDeadlineIsTheEarliestQuietWriter() {
        var writes = PendingWrites(timeout: .seconds(5))
        #expect(writes.nextDeadline == nil)
        _ = writes.note(.written, path: "a", at: Self.instant(0))
        _ = writes.note(.written, path: "b", at: Self.instant(1_000))
        #expect(writes.nextDeadline == Self.instant(5_000))
        _ = writes.note(.closed, path: "a", at: Self.instant(2_000))
        #expect(writes.nextDeadline == Self.instant(6_000))
        _ = writes.note(.closed, path: "b", at: Self.instant(3_000))
        #expect(writes.nextDeadline == nil)
    }

    @Test func forgetsWritesInADirectoryGoneAway() {
        var writes = PendingWrites()
        for path in ["/r/sub/a", "/r/sub/deeper/b", "/r/subway", "/r/c"] {
            _ = writes.note(.written, path: path, at: Self.instant(0))
        }
        writes.forget(under: "/r/sub")
        #expect(writes.paths == ["/r/subway", "/r/c"])
    }
}
