import HTTP

/// One libFuzzer input: two bytes choosing where the request bytes are split (little-endian, modulo their
/// count + 1), then the bytes a client sent.
///
/// The one-shot parse must not trap. The bytes are then fed as a connection receives them, in two parts: the first
/// part is parsed alone and, when incomplete, the whole is parsed again resuming at the reported `scanned` offset.
/// Whatever the split, the answer must agree with the one the whole gets at once (see `agree`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1Parser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 2 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let request = UnsafeRawBufferPointer(rebasing: input[2...])
    let split = (Int(input[0]) | Int(input[1]) << 8) % (request.count + 1)

    let whole = HTTP1RequestParser.parse(request)
    check(whole, of: request.count)
    let first = HTTP1RequestParser.parse(UnsafeRawBufferPointer(rebasing: request[..<split]))
    check(first, of: split)
    let incremental: HTTP1RequestParser.Result
    if case .incomplete(let scanned) = first {
        incremental = HTTP1RequestParser.parse(request, scannedBefore: scanned)
    } else {
        // A head complete (or refused) within the first part is answered before the rest arrives.
        incremental = first
    }
    guard agree(incremental, whole, request) else {
        fatalError("split at \(split) of \(request.count): \(incremental) (first part: \(first)), at once: \(whole)")
    }
    return 0
}

/// The same head consumed the same way, or both refused.
///
/// A refusal's status may differ with the split: a bare LF is refused (400) as soon as it arrives, before the
/// request line is judged whole (e.g. 505 for a bad version). And the first part may be refused early (a request
/// line past 2 KiB without a line end) where the whole, which has a line end, waits for the rest of its head: then
/// the whole, completed by an empty line, must be refused too. Fuzz/README.md, "Findings", has both.
private func agree(_ incremental: HTTP1RequestParser.Result, _ whole: HTTP1RequestParser.Result,
                   _ request: UnsafeRawBufferPointer) -> Bool {
    guard case .invalid = incremental else { return incremental == whole }
    switch whole {
    case .invalid:
        return true
    case .incomplete:
        let completed = Array(request) + Array("\r\n\r\n".utf8)
        guard case .invalid = completed.withUnsafeBytes({ HTTP1RequestParser.parse($0) }) else { return false }
        return true
    case .request:
        return false
    }
}

private func check(_ result: HTTP1RequestParser.Result, of count: Int) {
    switch result {
    case .incomplete(let scanned):
        guard scanned <= count else { fatalError("scanned \(scanned) of \(count) bytes") }
    case .request(_, let consumed):
        guard consumed > 0, consumed <= count else { fatalError("consumed \(consumed) of \(count) bytes") }
    case .invalid:
        break
    }
}
