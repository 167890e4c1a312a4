import FileSystem
import Glibc
import Testing

struct SystemErrorTests {
    @Test func describesOperationPathAndReason() {
        #expect(SystemError("open", path: "/x", code: ENOENT).description == "open /x: No such file or directory")
        #expect(SystemError("cannot read directory", path: "/c", code: EACCES).description
            == "cannot read directory /c: Permission denied")
        #expect(SystemError("epoll_create1", code: EMFILE).description == "epoll_create1: Too many open files")
    }

    @Test func takesErrnoWhenMade() {
        errno = EBADF
        let error = SystemError("close")
        #expect(error.code == EBADF)
        #expect(error.reason == "Bad file descriptor")
    }
}
