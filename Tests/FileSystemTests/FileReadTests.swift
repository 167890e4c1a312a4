import FileSystem
import Glibc
import Testing

struct FileReadTests {
    @Test func readsTheWholeFileWithItsStatus() throws {
        let scratch = ScratchDirectory()
        scratch.write("a.txt", "version: STSv1\r\n", mode: 0o640)
        let contents = try readFile(scratch.file("a.txt"), limit: 64)
        #expect(contents.bytes == Array("version: STSv1\r\n".utf8))
        #expect(contents.status.st_mode & 0o777 == 0o640)
        #expect(contents.status.st_size == 16)
    }

    @Test func readsAnEmptyFileAndOneExactlyAtTheLimit() throws {
        let scratch = ScratchDirectory()
        scratch.write("empty", "")
        scratch.write("full", "12345678")
        #expect(try readFile(scratch.file("empty"), limit: 8).bytes.isEmpty)
        #expect(try readFile(scratch.file("full"), limit: 8).bytes.count == 8)
    }

    @Test func refusesAFileOverTheLimitWithItsSize() {
        let scratch = ScratchDirectory()
        scratch.write("big", "123456789")
        #expect(throws: FileReadError.tooLarge(bytes: 9)) { try readFile(scratch.file("big"), limit: 8) }
    }

    /// /proc files report size 0 and have content: the buffer grows until the end, within the limit.
    @Test func readsAFileLongerThanItsReportedSize() throws {
        let contents = try readFile("/proc/self/stat", limit: 4096)
        #expect(contents.status.st_size == 0)
        #expect(contents.bytes.count > 20)
        #expect(throws: FileReadError.tooLarge(bytes: 5)) { try readFile("/proc/self/stat", limit: 4) }
    }

    @Test func refusesDirectoriesAndFIFOsWithoutBlocking() {
        let scratch = ScratchDirectory()
        mkdir(scratch.file("folder"), 0o755)
        mkfifo(scratch.file("fifo"), 0o644)
        #expect(throws: FileReadError.notRegularFile) { try readFile(scratch.file("folder"), limit: 8) }
        #expect(throws: FileReadError.notRegularFile) { try readFile(scratch.file("fifo"), limit: 8) }
    }

    @Test func namesTheFailedCallAndPath() {
        let path = "/nonexistent/policy.txt"
        #expect(throws: FileReadError.failed(SystemError("open", path: path, code: ENOENT))) {
            try readFile(path, limit: 8)
        }
    }
}
