import Testing
import MTASTS

struct ASCIITrimTests {
    @Test(arguments: [
        (" v=STSv1 ", "v=STSv1"),
        ("\tid=abc;\r\n", "id=abc;"),
        ("  replay-nonce: x\r\n", "replay-nonce: x"),
        ("a b", "a b"),
        (" \t\r\n", ""),
        ("", ""),
    ])
    func blanksGoFromBothEndsOnly(text: String, expected: String) {
        #expect(ASCII.trimmingWhitespace(text) == expected)
        #expect(ASCII.trimmingWhitespace(text[...]) == expected)
    }
}
