import MTASTS

/// One libFuzzer input: the bytes of a policy file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPolicyParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let result = PolicyParser.parse(bytes)
    check(result, of: bytes)
    guard let policy = result.policy else { return 0 }

    // The served body is the canonical rendering: it must parse back to the very same policy, without errors,
    // and render to the same bytes again (a fixed point).
    let canonical = policy.canonicalBytes
    let again = PolicyParser.parse(canonical)
    check(again, of: canonical)
    guard again.policy == policy else {
        fatalError("canonical body does not parse back to the policy: \(policy) -> \(again.policy as Any) "
            + "\(again.diagnostics)")
    }
    guard again.policy?.canonicalBytes == canonical else { fatalError("canonical rendering is not a fixed point") }
    _ = PolicyID.make(canonical: canonical)
    return 0
}

/// What holds of every parse result, whatever the input.
private func check(_ result: PolicyParseResult, of bytes: [UInt8]) {
    guard (result.policy == nil) == result.hasErrors else { fatalError("policy present with errors, or missing without") }
    let lines = bytes.count(where: { $0 == 10 }) + 1
    for diagnostic in result.diagnostics {
        let placed = diagnostic.line == 0 ? diagnostic.column == 0 : (1...lines).contains(diagnostic.line) && diagnostic.column >= 1
        guard placed, !diagnostic.message.isEmpty else { fatalError("diagnostic out of place: \(diagnostic)") }
    }
}
