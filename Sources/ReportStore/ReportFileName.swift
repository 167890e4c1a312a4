import MTASTS
import TLSRPT

/// Where a report lives under DIR: `<yyyy-mm>/<organization>_<report-id>.json`, the month of its range's start.
/// The same organization and report-id always give the same path, so a duplicate is found even before the index
/// knows it. Characters outside `[A-Za-z0-9.-]` become `-`; when that changed anything, a digest of the exact
/// pair is added, so two different pairs never share a file.
public enum ReportFileName {
    public static func relativePath(of report: TLSReport) -> String {
        let organization = sanitized(report.organization)
        let id = sanitized(report.reportID)
        var name = organization + "_" + id
        if organization != report.organization || id != report.reportID || name.count > 200 {
            let digest = SHA256.hex(SHA256.hash(Array((report.organization + "\u{0}" + report.reportID).utf8)))
            name = String(organization.prefix(80)) + "_" + String(id.prefix(100)) + "_" + digest.prefix(16)
        }
        return ReportTimestamp.month(report.startTime) + "/" + name + ".json"
    }

    static func sanitized(_ text: String) -> String {
        let mapped = String(text.unicodeScalars.map { scalar -> Character in
            let value = scalar.value
            let keep = (value >= 0x30 && value <= 0x39) || (value >= 0x41 && value <= 0x5a)
                || (value >= 0x61 && value <= 0x7a) || value == 0x2e || value == 0x2d
            return keep ? Character(scalar) : "-"
        })
        // Never a dot file (those are temporary files) and never empty.
        let trimmed = mapped.drop { $0 == "." }
        return trimmed.isEmpty ? "-" : String(trimmed)
    }

    /// `yyyy-mm`: the folders reports are kept in.
    static func isMonthFolder(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return bytes.count == 7 && bytes[4] == UInt8(ascii: "-")
            && bytes.enumerated().allSatisfy { $0.offset == 4 || (48...57).contains($0.element) }
    }
}
