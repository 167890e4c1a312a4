import HTTP
import TLSRPT

/// From an upload's body to a report, or the answer that refuses it: media type, gunzip within the cap, parse.
/// Pure apart from zlib; the receiver calls it off the event loops.
enum ReportDecoding {
    enum Outcome {
        case report(TLSReport, json: [UInt8])
        case refused(PlainAnswer, reason: String)
    }

    /// What RFC 8460 §5.4 names, and what senders are seen to send instead.
    static let acceptedTypes: Set<String> = [
        "application/tlsrpt+gzip", "application/tlsrpt+json", "application/json", "application/gzip",
        "application/x-gzip", "application/octet-stream", "text/plain",
    ]

    static func decode(body: [UInt8], contentType: String?, maxInflatedBytes: Int) -> Outcome {
        let mediaType = contentType.map { String($0.split(separator: ";").first ?? "").trimmed().lowercased() }
        if let mediaType, !mediaType.isEmpty, !acceptedTypes.contains(mediaType) {
            return .refused(PlainAnswer(.unsupportedMediaType, "send application/tlsrpt+gzip or application/tlsrpt+json"),
                            reason: "media_type")
        }
        var json = body
        // By the magic bytes, not the label: a sender that labels JSON as gzip (or the reverse) is still read.
        if GzipInflater.looksCompressed(body) {
            switch GzipInflater.inflate(body, limit: maxInflatedBytes) {
            case .success(let inflated): json = inflated
            case .failure(.tooLarge):
                return .refused(PlainAnswer(.contentTooLarge, "the report inflates past \(maxInflatedBytes) bytes"),
                                reason: "too_large")
            case .failure(.truncated):
                return .refused(PlainAnswer(.badRequest, "bad gzip: truncated"), reason: "bad_gzip")
            case .failure(.corrupt(let message)):
                return .refused(PlainAnswer(.badRequest, "bad gzip: \(message)"), reason: "bad_gzip")
            }
        } else if json.count > maxInflatedBytes {
            return .refused(PlainAnswer(.contentTooLarge, "the report is larger than \(maxInflatedBytes) bytes"),
                            reason: "too_large")
        }
        switch TLSReportParser.parse(json) {
        case .success(let report): return .report(report, json: json)
        case .failure(.invalidJSON): return .refused(PlainAnswer(.badRequest, "bad JSON"), reason: "bad_json")
        case .failure(let failure): return .refused(PlainAnswer(.badRequest, failure.description), reason: "not_a_report")
        }
    }
}

extension StringProtocol {
    func trimmed() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
