internal import CNGHTTP2

/// The HTTP/2 form of a decision: `:status`, the same headers as HTTP/1.1 (minus Connection), and the body.
struct HTTP2Response {
    let fields: [(String, String)]
    let body: [UInt8]

    init(decision: PolicyResponder.Decision, date: [UInt8]) {
        let dateValue = String(decoding: date, as: UTF8.self)
        var body: [UInt8]
        var fields: [(String, String)]
        switch decision.answer {
        case .policy(let response, let notModified):
            fields = [(":status", notModified ? "304" : "200")]
            if !notModified {
                fields += [("content-type", PolicyResponse.contentType), ("content-length", "\(response.body.count)")]
            }
            fields += [("cache-control", "no-cache"), ("etag", response.etag), ("date", dateValue)]
            body = notModified ? [] : response.body
        case .status(let status):
            let canned = CannedResponse.for(status)
            fields = [(":status", "\(status.rawValue)"), ("content-type", PolicyResponse.contentType),
                      ("content-length", "\(canned.body.count)"), ("date", dateValue)]
            if status == .methodNotAllowed { fields.append(("allow", PolicyResponder.allowedMethods)) }
            body = canned.body
        case .plain(let answer):
            body = answer.body
            fields = [(":status", "\(answer.status.rawValue)"), ("content-type", PolicyResponse.contentType),
                      ("content-length", "\(body.count)"), ("cache-control", "no-store"), ("date", dateValue)]
            if let allow = answer.allow { fields.append(("allow", allow)) }
        case .receiveReport:
            let canned = CannedResponse.for(.internalServerError)
            fields = [(":status", "500"), ("content-type", PolicyResponse.contentType),
                      ("content-length", "\(canned.body.count)"), ("date", dateValue)]
            body = canned.body
        }
        self.fields = fields
        self.body = decision.omitBody ? [] : body
    }

    /// Lends the fields as nghttp2 name/value pairs; nghttp2 copies them before this returns.
    func withHeaderFields<T>(_ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> T) -> T {
        let text = fields.flatMap { Array($0.0.utf8) + Array($0.1.utf8) }
        let bytes = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, text.count))
        let pairs = UnsafeMutableBufferPointer<nghttp2_nv>.allocate(capacity: fields.count)
        defer {
            bytes.deallocate()
            pairs.deallocate()
        }
        _ = bytes.initialize(from: text)
        var offset = 0
        for (index, (name, value)) in fields.enumerated() {
            let nameLength = name.utf8.count
            let valueLength = value.utf8.count
            pairs[index] = nghttp2_nv(name: bytes.baseAddress! + offset, value: bytes.baseAddress! + offset + nameLength,
                                      namelen: nameLength, valuelen: valueLength, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            offset += nameLength + valueLength
        }
        return body(pairs)
    }
}
