import FileSystem
import Glibc
import Testing

struct FileWriteTests {
    @Test func writesTheBytesWithTheMode() throws {
        let scratch = ScratchDirectory()
        try writeFileAtomically(Array("{}\n".utf8), to: scratch.file("status.json"))
        try writeFileAtomically(Array("key".utf8), to: scratch.file("a.key"), mode: 0o600)
        #expect(try readFile(scratch.file("status.json"), limit: 64).bytes == Array("{}\n".utf8))
        #expect(try readFile(scratch.file("status.json"), limit: 64).status.st_mode & 0o777 == 0o644)
        #expect(try readFile(scratch.file("a.key"), limit: 64).status.st_mode & 0o777 == 0o600)
        #expect(scratch.names() == ["a.key", "status.json"])
    }

    @Test func replacesAnExistingFileWhole() throws {
        let scratch = ScratchDirectory()
        scratch.write("status.json", "an old and longer version\n")
        try writeFileAtomically(Array("new\n".utf8), to: scratch.file("status.json"))
        #expect(try readFile(scratch.file("status.json"), limit: 64).bytes == Array("new\n".utf8))
        #expect(scratch.names() == ["status.json"])
    }

    @Test func aFailedRenameLeavesNoTemporaryFile() {
        let scratch = ScratchDirectory()
        mkdir(scratch.file("taken"), 0o755)
        scratch.write("taken/inside", "")
        let error = #expect(throws: SystemError.self) {
            try writeFileAtomically(Array("x".utf8), to: scratch.file("taken"))
        }
        #expect(error?.path == scratch.file("taken"))
        #expect(scratch.names() == ["taken"])
    }

    @Test func aMissingDirectoryIsReported() {
        let path = "/nonexistent/status.json"
        #expect(throws: SystemError("create a temporary file for", path: path, code: ENOENT)) {
            try writeFileAtomically([], to: path)
        }
    }
}
