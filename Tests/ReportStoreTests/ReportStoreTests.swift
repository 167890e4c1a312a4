import FileSystem
import Glibc
import Testing
@testable import ReportStore
import TLSRPT

private func temporaryDirectory() -> String {
    var template = Array("/tmp/report-store-XXXXXX".utf8CString)
    return String(cString: mkdtemp(&template)!)
}

private func report(_ id: String, organization: String = "Google Inc.", domain: String = "b.test") -> (TLSReport, [UInt8]) {
    let json = """
        {"organization-name": "\(organization)", "report-id": "\(id)",
         "date-range": {"start-datetime": "2024-03-01T00:00:00Z", "end-datetime": "2024-03-01T23:59:59Z"},
         "policies": [{"policy": {"policy-type": "sts", "policy-domain": "\(domain)", "policy-string": ["mode: testing"]},
                       "summary": {"total-successful-session-count": 5, "total-failure-session-count": 1},
                       "failure-details": [{"result-type": "certificate-expired", "receiving-mx-hostname": "mx1",
                                            "failed-session-count": 1}]}]}
        """
    return (try! TLSReportParser.parse(Array(json.utf8)).get(), Array(json.utf8))
}

private func files(in directory: String) -> [String] {
    var names: [String] = []
    for month in (try? DirectoryListing.entries(of: directory).get()) ?? [] where ReportFileName.isMonthFolder(month.name) {
        for entry in (try? DirectoryListing.entries(of: directory + "/" + month.name).get()) ?? [] {
            names.append(month.name + "/" + entry.name)
        }
    }
    return names.sorted()
}

struct ReportStoreTests {
    @Test func storesOnceAndIndexesEachPolicyRow() throws {
        let directory = temporaryDirectory()
        let store = try ReportStore(directory: directory)
        let (parsed, json) = report("r1")
        #expect(try store.store(parsed, json: json, receivedAt: 1) == .stored(path: directory + "/2024-03/Google-Inc._r1_"
            + String(ReportFileName.relativePath(of: parsed).split(separator: "_").last!)))
        #expect(try store.store(parsed, json: json, receivedAt: 2) == .duplicate)
        #expect(try store.reportCount() == 1)
        let rows = try store.rows(since: 0)
        #expect(rows.count == 1)
        #expect(rows.first?.failures == [PolicyRow.Failure(resultType: "certificate-expired", receivingMX: "mx1", sessions: 1)])
        #expect(try readFile(directory + "/" + ReportFileName.relativePath(of: parsed), limit: 1 << 20).bytes == json)
    }

    @Test func fileNamesAreSafeAndDistinct() {
        let plain = ReportFileName.relativePath(of: report("abc-123").0)
        #expect(plain.hasPrefix("2024-03/Google-Inc._abc-123_"))
        let tricky = ReportFileName.relativePath(of: report("../../etc/passwd", organization: ".hidden/x").0)
        #expect(!tricky.dropFirst(8).contains("/") && !tricky.dropFirst(8).hasPrefix("."))
        let clean = ReportFileName.relativePath(of: report("id", organization: "Mail.Ru").0)
        #expect(clean == "2024-03/Mail.Ru_id.json")
        // Two pairs that sanitise alike still get two files.
        #expect(ReportFileName.relativePath(of: report("a/b").0) != ReportFileName.relativePath(of: report("a?b").0))
    }

    @Test func reconcileIndexesFilesTheIndexMissedAndDropsTemporaryOnes() throws {
        let directory = temporaryDirectory()
        do {
            let store = try ReportStore(directory: directory)
            let (parsed, json) = report("kept")
            _ = try store.store(parsed, json: json, receivedAt: 1)
        }
        // A crash after the file was renamed into place but before the index commit; and one before the rename.
        let (missed, missedJSON) = report("missed")
        try writeFileAtomically(missedJSON, to: directory + "/" + ReportFileName.relativePath(of: missed))
        try writeFileAtomically(Array("{".utf8), to: directory + "/2024-03/.half.json.Ab12Cd")
        let store = try ReportStore(directory: directory)
        let result = try store.reconcile()
        #expect(result.added == 1 && result.temporaryFilesDeleted == 1 && result.removed == 0)
        #expect(try store.reportCount() == 2)
        #expect(files(in: directory).allSatisfy { !$0.contains("/.") })
        // The duplicate of a report whose index entry a crash lost is found by its file.
        #expect(try store.reconcile(rebuild: true).added == 2)
        #expect(try store.store(missed, json: missedJSON, receivedAt: 3) == .duplicate)
    }

    @Test func lastReportsNameTheLatestPerDomain() throws {
        let store = try ReportStore(directory: temporaryDirectory())
        let (first, firstJSON) = report("one")
        let (second, secondJSON) = report("two", organization: "Microsoft")
        _ = try store.store(first, json: firstJSON, receivedAt: 10)
        _ = try store.store(second, json: secondJSON, receivedAt: 20)
        #expect(try store.lastReports().map(\.organization) == ["Microsoft"])
    }
}
