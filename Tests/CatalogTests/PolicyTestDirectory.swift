import Glibc

/// A mkdtemp directory for policy loading tests, removed (with its contents) on deinit.
final class PolicyTestDirectory {
    let path: String

    init() {
        var template = Array("/tmp/policy-dir-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit {
        remove(path)
    }

    func write(_ name: String, _ text: String) {
        write(name, Array(text.utf8))
    }

    func write(_ name: String, _ bytes: [UInt8]) {
        let descriptor = open(path + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        precondition(descriptor >= 0, "cannot create \(name)")
        _ = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
    }

    func symlink(_ name: String, to target: String) {
        precondition(Glibc.symlink(target, path + "/" + name) == 0)
    }

    func mkdir(_ name: String) {
        precondition(Glibc.mkdir(path + "/" + name, 0o755) == 0)
    }

    func mkfifo(_ name: String) {
        precondition(Glibc.mkfifo(path + "/" + name, 0o644) == 0)
    }

    private func remove(_ directory: String) {
        guard let stream = opendir(directory) else { return }
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard name != ".", name != ".." else { continue }
            let child = directory + "/" + name
            var status = stat()
            if lstat(child, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
                remove(child)
            } else {
                unlink(child)
            }
        }
        closedir(stream)
        rmdir(directory)
    }
}
