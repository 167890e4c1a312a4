import Testing
@testable import Catalog

struct CatalogDiffTests {
    @Test func namesWhatWasAddedChangedAndRemoved() {
        let diff = CatalogDiff(before: ["a.test": "1", "b.test": "2", "c.test": "3"],
                               after: ["a.test": "1", "b.test": "9", "d.test": "4"])
        #expect(diff.added == ["d.test"])
        #expect(diff.changed == ["b.test"])
        #expect(diff.removed == ["c.test"])
        #expect(!diff.isEmpty)
        #expect(CatalogDiff(before: ["a.test": "1"], after: ["a.test": "1"]).isEmpty)
    }

    @Test func summariesStayShort() {
        #expect(CatalogDiff.summary(["a", "b"]) == "a,b")
        #expect(CatalogDiff.summary((1...7).map { "d\($0)" }) == "d1,d2,d3,d4,d5,... (7)")
    }
}
