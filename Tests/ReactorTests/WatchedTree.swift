import Dispatch
import FileSystem
import Glibc
import Synchronization
@testable import Reactor

/// A temporary directory watched by a real `FileWatcher` (real inotify), with the file operations the tests make
/// and a way to wait for what the watcher reports. Waits are generous: only "arrives within N seconds" is asserted.
final class WatchedTree: @unchecked Sendable {
    let base: String
    private let queue = DispatchQueue(label: "reactor-tests.watch")
    private let received = Mutex<[FileChanges]>([])
    private let warningsReceived = Mutex<[String]>([])
    private let arrival = DispatchSemaphore(value: 0)
    private var watcher: FileWatcher?

    init() {
        var template = Array("/tmp/reactor-tests.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        // Resolved, so paths compare equal whatever /tmp is.
        base = resolvedPath(String(cString: made!))!
    }

    deinit {
        queue.sync { watcher = nil }
        Self.removeTree(base)
    }

    func path(_ relative: String) -> String { base + "/" + relative }

    func watch(_ roots: [String], excluding: [String] = [],
               unclosedWriteTimeout: DispatchTimeInterval = .seconds(5)) throws {
        try queue.sync {
            watcher = try FileWatcher(roots: roots.map(path), excluding: excluding.map(path), queue: queue,
                                      settle: .milliseconds(50), maxDelay: .milliseconds(500),
                                      unclosedWriteTimeout: unclosedWriteTimeout,
                                      onWarning: { [self] warning in warningsReceived.withLock { $0.append(warning) } },
                                      onChange: { [self] changes in
                                          received.withLock { $0.append(changes) }
                                          arrival.signal()
                                      })
        }
    }

    /// Runs `body` on the watcher's queue, where its state lives.
    func onQueue<T>(_ body: (FileWatcher) -> T) -> T {
        queue.sync { body(watcher!) }
    }

    var warnings: [String] { warningsReceived.withLock { $0 } }

    /// The next report that `matches`, skipping the others, if one arrives within `seconds`.
    func change(within seconds: Double = 10, where matches: (FileChanges) -> Bool = { _ in true }) -> FileChanges? {
        let end = DispatchTime.now() + seconds
        while arrival.wait(timeout: end) == .success {
            let next = received.withLock { $0.removeFirst() }
            if matches(next) { return next }
        }
        return nil
    }

    /// True when nothing is reported for `seconds`.
    func nothing(for seconds: Double) -> Bool {
        change(within: seconds) == nil
    }

    /// Polls `condition` on the watcher's queue until it holds, for at most `seconds`.
    func eventually(within seconds: Double = 10, _ condition: (FileWatcher) -> Bool) -> Bool {
        let end = DispatchTime.now() + seconds
        while DispatchTime.now() < end {
            if onQueue(condition) { return true }
            usleep(20_000)
        }
        return false
    }

    // MARK: File operations, relative to `base`

    func makeDirectory(_ relative: String) {
        precondition(mkdir(path(relative), 0o755) == 0, "mkdir \(relative)")
    }

    func write(_ relative: String, _ text: String) {
        let descriptor = open(relative: relative)
        append(descriptor, text)
        close(descriptor)
    }

    func open(relative: String) -> Int32 {
        let descriptor = Glibc.open(path(relative), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        precondition(descriptor >= 0, "open \(relative)")
        return descriptor
    }

    func append(_ descriptor: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        precondition(Glibc.write(descriptor, bytes, bytes.count) == bytes.count, "write")
    }

    func symlink(_ target: String, at relative: String) {
        precondition(Glibc.symlink(target, path(relative)) == 0, "symlink \(relative)")
    }

    func rename(_ from: String, _ to: String) {
        precondition(Glibc.rename(path(from), path(to)) == 0, "rename \(from) \(to)")
    }

    func remove(_ relative: String) {
        Self.removeTree(path(relative))
    }

    private static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR, let directory = opendir(path) {
            var names: [String] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self))
                }
                if name != ".", name != ".." { names.append(name) }
            }
            closedir(directory)
            for name in names { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
