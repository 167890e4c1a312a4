import Dispatch
import Glibc

/// Watches directory trees with inotify (Dispatch has no vnode sources on Linux) and calls `onChange` once
/// things settle: `settle` after the last event, or at most `maxDelay` after the first of a burst, with the
/// paths that changed (so 50,000 unchanged files need not be looked at again).
///
/// Directories are watched, not files, so atomic renames, editors' swap files, certbot's `live/` symlink swaps
/// and Kubernetes' `..data` swaps are all seen. New subdirectories are watched after the change that created them.
public final class FileWatcher {
    private let descriptor: Int32
    private let roots: [String]
    private let queue: DispatchQueue
    private let source: DispatchSourceRead
    private let settle: DispatchTimeInterval
    private let maxDelay: DispatchTimeInterval
    private let onChange: (FileChanges) -> Void
    private var burstStarted: DispatchTime?
    private var changes = FileChanges()
    /// Watch descriptors to the directories they watch, to name each event's path.
    private var directories: [Int32: String] = [:]
    private var pending: DispatchWorkItem?
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    private static let mask = UInt32(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO
        | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

    public init(roots: [String], queue: DispatchQueue, settle: DispatchTimeInterval = .milliseconds(100),
                maxDelay: DispatchTimeInterval = .seconds(1), onChange: @escaping (FileChanges) -> Void) throws {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw SocketError("inotify_init1") }
        self.roots = roots
        self.queue = queue
        self.settle = settle
        self.maxDelay = maxDelay
        self.onChange = onChange
        source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
        let fd = descriptor
        source.setCancelHandler { close(fd) }
        source.setEventHandler { [unowned self] in readEvents() }
        rescan()
        source.activate()
    }

    deinit {
        source.cancel()
        buffer.deallocate()
    }

    /// Adds watches for every directory under the roots (adding an existing watch is a no-op in inotify).
    private func rescan() {
        var visited = Set<[UInt64]>()
        for root in roots { watchTree(root, visited: &visited) }
    }

    private func watchTree(_ path: String, visited: inout Set<[UInt64]>) {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR,
              visited.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted else { return }
        let watch = inotify_add_watch(descriptor, path, Self.mask)
        if watch >= 0 { directories[watch] = path }
        guard let directory = opendir(path) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            // Files are not watched (their directory is): skip them without a stat, which matters at 150,000 entries.
            if Int32(entry.pointee.d_type) == Int32(DT_REG) { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            // Hidden directories are Kubernetes' timestamped copies (reached through ..data) and VCS metadata.
            if name.hasPrefix(".") { continue }
            watchTree(path + "/" + name, visited: &visited)
        }
    }

    private func readEvents() {
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            guard count > 0 else { break }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let event = buffer.baseAddress!.advanced(by: offset).loadUnaligned(as: inotify_event.self)
                let nameStart = offset + MemoryLayout<inotify_event>.size
                let name = event.len > 0 ? String(cString: buffer.baseAddress!.advanced(by: nameStart)
                    .assumingMemoryBound(to: CChar.self)) : ""
                note(event, name: name)
                offset = nameStart + Int(event.len)
            }
        }
        schedule()
    }

    private func note(_ event: inotify_event, name: String) {
        // Lost events, or a watched directory itself moved or deleted: only a full look is safe.
        if event.mask & UInt32(IN_Q_OVERFLOW) != 0 || name.isEmpty { changes.isComplete = false }
        guard let directory = directories[event.wd] else {
            changes.isComplete = false
            return
        }
        let path = directory + "/" + name
        // A new directory (or a symlink to one): the tree needs watching anew, and a full reload.
        if event.mask & UInt32(IN_ISDIR) != 0 {
            changes.isComplete = false
        } else if event.mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0, isDirectory(path) {
            changes.isComplete = false
        }
        changes.paths.insert(path)
    }

    private func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    private func schedule() {
        let now = DispatchTime.now()
        let start = burstStarted ?? now
        burstStarted = start
        pending?.cancel()
        let fireAt = min(now + settle, start + maxDelay)
        let work = DispatchWorkItem { [weak self] in
            guard let self else { return }
            burstStarted = nil
            pending = nil
            let settled = changes
            changes = FileChanges()
            // A new directory shows up as an incomplete change: only then can there be something new to watch.
            if !settled.isComplete { rescan() }
            onChange(settled)
        }
        pending = work
        queue.asyncAfter(deadline: fireAt, execute: work)
    }
}

/// What changed in a burst of file events.
public struct FileChanges: Sendable, Equatable {
    /// Full paths (watched directory + "/" + entry name) of the entries that changed.
    public var paths: Set<String> = []
    /// False when events were lost or a directory changed: then only a full reload is safe.
    public var isComplete = true

    public init(paths: Set<String> = [], isComplete: Bool = true) {
        self.paths = paths
        self.isComplete = isComplete
    }
}
