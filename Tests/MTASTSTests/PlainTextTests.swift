import MTASTS
import Testing

@Suite struct PlainTextTests {
    @Test(arguments: [
        ("plain text, é and 日本", "plain text, é and 日本"),
        ("evil\nforged line", "evil\\nforged line"),
        ("a\r\nb", "a\\r\\nb"),
        ("tab\there", "tab\\there"),
        ("\u{1B}[2J", "\\x1b[2J"),
        ("nul\u{0}bell\u{7}del\u{7F}", "nul\\x00bell\\x07del\\x7f"),
        ("\u{1F}", "\\x1f"),
        ("back\\slash", "back\\slash"),
        ("", ""),
    ])
    func escaped(_ raw: String, _ written: String) {
        #expect(PlainText.escaped(raw) == written)
    }

    @Test(arguments: [
        ("a.test", "a.test"),
        ("two words", "\"two words\""),
        ("say \"hi\"", "\"say \\\"hi\\\"\""),
        ("C:\\ x", "\"C:\\\\ x\""),
        ("line\nbreak", "line\\nbreak"),
        ("line\n break", "\"line\\\\n break\""),
    ])
    func fieldValue(_ raw: String, _ written: String) {
        #expect(PlainText.fieldValue(raw) == written)
    }

    @Test func noControlCharacterSurvives() {
        let every = String(decoding: (0...0x7F).map { UInt8($0) }, as: UTF8.self)
        for text in [PlainText.escaped(every), PlainText.fieldValue(every)] {
            #expect(!text.utf8.contains { $0 < 0x20 || $0 == 0x7F })
        }
    }
}
