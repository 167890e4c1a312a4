import Glibc
import ExchangeFuzzing

/// One libFuzzer input: a flags byte, a chunking byte, then the decrypted bytes a client sent after the handshake.
///
/// Flags: bit 0 HTTP/2 (else HTTP/1.1); bit 1 prefix the HTTP/2 client preface (h2 only); bits 2-3 the SNI
/// (none, mta-sts.example.com, mta-sts.example.net, mta-sts.unknown.org); bit 4 drain (graceful stop) halfway;
/// bit 5 time out at the end; bit 6 allow 3 requests per connection instead of 100.
/// Chunking: 0 delivers the bytes in one read; n > 0 in reads of 1...n bytes drawn from a generator seeded by n.
///
/// The exchange is driven the way Connection drives it: `produce` after the handshake, then each read followed by
/// `produce` until nothing more comes, until the exchange is finished. It must not trap, must stop producing
/// without new input, and its output must stay proportionate to its input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExchange(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 2 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let flags = input[0]
    var payload = Array(input[2...])
    let http2 = flags & 1 != 0
    if http2, flags & 2 != 0 { payload.insert(contentsOf: clientPreface, at: 0) }
    let serverNames = [nil, "mta-sts.example.com", "mta-sts.example.net", "mta-sts.unknown.org"]
    let harness = ExchangeFuzzHarness(protocol: http2 ? .http2 : .http1, serverName: serverNames[Int(flags >> 2 & 3)],
                                      maxRequests: flags & 64 != 0 ? 3 : 100)
    var output = Output()
    harness.produce(output: &output.pending)
    output.flush(harness)

    let chunks = chunked(payload.count, plan: input[1])
    var offset = 0
    for (index, length) in chunks.enumerated() {
        guard !harness.isFinished else { break }
        payload.withUnsafeBytes { harness.receive(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + length]), output: &output.pending) }
        offset += length
        output.flush(harness)
        if flags & 16 != 0, index == chunks.count / 2, !harness.isFinished {
            harness.drain(output: &output.pending)
            output.flush(harness)
        }
    }
    if flags & 32 != 0, !harness.isFinished {
        harness.timedOut(output: &output.pending)
        output.flush(harness)
    }

    // Every response answers at least one request head of a dozen bytes or more; a hostile client must not turn a
    // few bytes into unbounded work. The constant covers the SETTINGS, GOAWAY and error responses of an empty input.
    let bound = 64 * 1024 + 64 * payload.count
    if trace {
        print("\(http2 ? "h2" : "http/1.1"): \(payload.count) bytes in \(chunks.count) reads, \(harness.requestsAnswered) "
            + "answered, \(output.total) bytes out, \(harness.isFinished ? "finished" : "open")")
    }
    guard output.total <= bound else {
        fatalError("\(output.total) bytes of output for \(payload.count) bytes of input (\(harness.requestsAnswered) answered)")
    }
    return 0
}

/// FUZZ_TRACE=1 prints what each input did (to check that seeds reach what they are meant to).
private let trace = getenv("FUZZ_TRACE") != nil

private let clientPreface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

/// What the connection would have written.
private struct Output {
    var pending: [UInt8] = []
    private(set) var total = 0

    /// Writes what is pending, then asks for more until nothing comes, as Connection.flushOutput does.
    mutating func flush(_ harness: ExchangeFuzzHarness) {
        for _ in 0..<10_000 {
            guard !pending.isEmpty else { return }
            total += pending.count
            pending.removeAll(keepingCapacity: true)
            harness.produce(output: &pending)
        }
        fatalError("the exchange keeps producing output without input (\(total) bytes so far)")
    }
}

/// Read sizes that add up to `count`: one read for plan 0, else reads of 1...plan bytes (xorshift seeded by plan).
private func chunked(_ count: Int, plan: UInt8) -> [Int] {
    guard plan > 0 else { return count > 0 ? [count] : [] }
    var state = UInt32(plan) &* 0x9E37_79B9 | 1
    var sizes: [Int] = []
    var remaining = count
    while remaining > 0 {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        let size = min(remaining, 1 + Int(state % UInt32(plan)))
        sizes.append(size)
        remaining -= size
    }
    return sizes
}
