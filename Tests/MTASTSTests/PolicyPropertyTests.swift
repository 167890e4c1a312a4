import MTASTS
import Testing

/// Random but reproducible policies and corruptions of them.
struct PolicyGenerator {
    var random: SplitMix64

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }

    mutating func label() -> String {
        let inner = Array("abcdefghijklmnopqrstuvwxyz0123456789-")
        let edge = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let length = int(1...20)
        return String((0..<length).map { i in
            i == 0 || i == length - 1 ? edge[int(0...edge.count - 1)] : inner[int(0...inner.count - 1)]
        })
    }

    mutating func host() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let tld = String((0..<int(2...6)).map { _ in letters[int(0...25)] })
        let labels = (0..<int(1...3)).map { _ in label() } + [tld]
        return (chance(30) ? "*." : "") + labels.joined(separator: ".")
    }

    mutating func policy() -> Policy {
        let mode = PolicyMode.allCases[int(0...2)]
        var mx: [String] = []
        for _ in 0..<int(mode == .none ? 0...3 : 1...5) {
            let host = host()
            if !mx.contains(host) { mx.append(host) }
        }
        return Policy(mode: mode, mx: mx, maxAge: chance(20) ? int(0...PolicyLimits.maxAge) : int(604_800...31_557_600))
    }

    /// The same policy as an operator might type it: LF or CRLF, shuffled keys, stray spaces, upper case.
    mutating func formatted(_ policy: Policy) -> [UInt8] {
        // Keys shuffle freely, but mx lines keep their relative order: that order is part of the policy.
        var rows = ["mode:" + spaces() + policy.mode.rawValue, "max_age:" + spaces() + String(policy.maxAge)]
        rows += Array(repeating: "mx", count: policy.mx.count)
        rows.shuffle(using: &random)
        var hosts = policy.mx.makeIterator()
        rows = rows.map { $0 == "mx" ? "mx:" + spaces() + randomCase(hosts.next()!) : $0 }
        let end = chance(50) ? "\r\n" : "\n"
        let text = (["version: STSv1"] + rows).map { $0 + (chance(20) ? " \t" : "") }.joined(separator: end)
        return Array((text + (chance(80) ? end : "")).utf8)
    }

    private mutating func randomCase(_ host: String) -> String {
        chance(10) ? String(host.map { chance(50) ? Character($0.uppercased()) : $0 }) : host
    }

    private mutating func spaces() -> String { [" ", "", "\t", "   "][int(0...3)] }

    /// Flips, inserts or deletes 1-3 bytes, favouring the bytes that break line handling.
    mutating func mutated(_ bytes: [UInt8]) -> [UInt8] {
        let nasty: [UInt8] = [0x0D, 0x0A, 0x00, 0xFF, 0x20, 0x09, 0x3A, 0x2A, 0x2E, 0x2D, 0xEF, 0xC3, 0x41]
        var bytes = bytes
        for _ in 0..<int(1...3) {
            let byte = chance(70) ? nasty[int(0...nasty.count - 1)] : UInt8(int(0...255))
            switch int(0...2) {
            case 0 where !bytes.isEmpty: bytes[int(0...bytes.count - 1)] = byte
            case 1: bytes.insert(byte, at: int(0...bytes.count))
            default: if !bytes.isEmpty { bytes.remove(at: int(0...bytes.count - 1)) }
            }
        }
        return bytes
    }
}

/// Mirrors the module's limit without making it public.
private enum PolicyLimits {
    static let maxAge = 31_557_600
}

@Suite struct PolicyPropertyTests {
    private static func isAdvice(_ diagnostic: Diagnostic) -> Bool {
        diagnostic.severity == .warning && diagnostic.message.hasPrefix("max_age ")
    }

    @Test func canonicalRoundTrip() {
        var generator = PolicyGenerator(random: SplitMix64(seed: 8461))
        for _ in 0..<1_500 {
            let policy = generator.policy()
            let result = PolicyParser.parse(policy.canonicalBytes)
            #expect(result.policy == policy, "\(policy.canonicalText)")
            #expect(result.diagnostics.allSatisfy(Self.isAdvice), "\(result.diagnostics)")
        }
    }

    /// Formatting that does not change meaning must not change the canonical body, hence the id.
    @Test func formattingDoesNotChangeTheID() {
        var generator = PolicyGenerator(random: SplitMix64(seed: 3492))
        for _ in 0..<1_000 {
            let policy = generator.policy()
            let result = PolicyParser.parse(generator.formatted(policy))
            #expect(result.policy == policy)
            #expect(result.policy.map { PolicyID.make(canonical: $0.canonicalBytes) }
                == PolicyID.make(canonical: policy.canonicalBytes))
        }
    }

    @Test func mutationsNeverCrashAndNeverPassSilently() {
        var generator = PolicyGenerator(random: SplitMix64(seed: 180_2))
        var rejected = 0
        for _ in 0..<12_000 {
            let original = generator.policy()
            let input = generator.mutated(generator.formatted(original))
            let result = PolicyParser.parse(input)
            #expect((result.policy == nil) == result.hasErrors)
            let lineCount = input.filter { $0 == 0x0A }.count + 1
            #expect(result.diagnostics.allSatisfy { $0.line >= 1 && $0.line <= lineCount && $0.column >= 1 })
            if let policy = result.policy {
                // Whatever was accepted re-renders to itself.
                #expect(PolicyParser.parse(policy.canonicalBytes).policy == policy)
            } else {
                rejected += 1
            }
        }
        #expect(rejected > 1_000)
    }
}
