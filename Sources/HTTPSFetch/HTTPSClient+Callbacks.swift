internal import CCurl
import MTASTS

/// What libcurl hands over during one transfer: header lines and body bytes, collected by the C callbacks below.
final class ResponseCollector {
    private(set) var headers: [(name: String, value: String)] = []
    private(set) var body: [UInt8] = []
    private(set) var overflowed = false
    private let maximumBodyBytes: Int

    init(maximumBodyBytes: Int) { self.maximumBodyBytes = maximumBodyBytes }

    /// False stops the transfer (libcurl then fails it with CURLE_WRITE_ERROR).
    func appendBody(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard body.count + bytes.count <= maximumBodyBytes else {
            overflowed = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// One header line as received, CRLF included. A status line starts a new response (after a 100 Continue),
    /// so the fields of the earlier one are dropped.
    func appendHeaderLine(_ line: UnsafeBufferPointer<UInt8>) {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            headers = []
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = ASCII.trimmingWhitespace(text[..<colon])
        let value = ASCII.trimmingWhitespace(text[text.index(after: colon)...])
        guard !name.isEmpty else { return }
        headers.append((name: name, value: value))
    }
}

extension ResponseCollector {
    /// For CURLOPT_WRITEFUNCTION, with the collector as CURLOPT_WRITEDATA.
    static var bodyCallback: curl_write_callback { collectBody }
    /// For CURLOPT_HEADERFUNCTION, with the collector as CURLOPT_HEADERDATA.
    static var headerCallback: curl_write_callback { collectHeaderLine }
}

/// CURLOPT_WRITEFUNCTION: body bytes for the collector in `context`. Returning less than given aborts the transfer.
private func collectBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                     _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(data)?.assumingMemoryBound(to: UInt8.self), count: length)
    return collector.appendBody(bytes) ? length : 0
}

/// CURLOPT_HEADERFUNCTION: one complete header line per call.
private func collectHeaderLine(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int,
                       _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    collector.appendHeaderLine(UnsafeBufferPointer(start: UnsafeRawPointer(data)?.assumingMemoryBound(to: UInt8.self),
                                                   count: length))
    return length
}
