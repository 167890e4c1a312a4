import FileSystem
import Glibc

/// A directory for the account or a certificate, private to the server's user.
func makeDirectory(_ path: String, mode: mode_t) throws(SystemError) {
    if mkdir(path, mode) != 0 && errno != EEXIST { throw SystemError("mkdir", path: path) }
}

func writeDurably(_ text: String, to path: String, mode: mode_t) throws(SystemError) {
    try writeFileAtomically(Array(text.utf8), to: path, mode: mode)
}
