import Dispatch
import FileSystem
import Glibc

/// Watches directory trees with inotify (Dispatch has no vnode sources on Linux) and calls `onChange` once
/// things settle: `settle` after the last event, or at most `maxDelay` after the first of a burst, with the
/// paths that changed (so 50,000 unchanged files need not be looked at again).
///
/// Directories are watched, not files, so atomic renames, editors' swap files, certbot's `live/` symlink swaps
/// and Kubernetes' `..data` swaps are all seen. New subdirectories are watched after the change that created them.
/// A file is reported once its writer is done with it (`PendingWrites`). Roots are followed by path: the directory
/// holding each root is watched too, and a root that is replaced or comes back gets its new tree watched, while the
/// watches of the tree it left are removed.
public final class FileWatcher {
    private let descriptor: Int32
    private var roots: [WatchedRoot]
    private let excluding: [String]
    private let queue: DispatchQueue
    private let source: DispatchSourceRead
    private let settle: DispatchTimeInterval
    private let maxDelay: DispatchTimeInterval
    private let onChange: (FileChanges) -> Void
    private let onWarning: (String) -> Void
    private var burstStarted: DispatchTime?
    private var changes = FileChanges()
    private var writes: PendingWrites
    /// Reports the files whose writers went quiet without closing them.
    private let writeDeadline: DispatchSourceTimer
    /// Watch descriptors to the directories they watch inside the roots' trees, to name each event's path.
    private var directories: [Int32: WatchedDirectory] = [:]
    /// Watch descriptors of the directories holding roots (or their targets), to the names followed in them.
    private var holders: [Int32: Set<String>] = [:]
    /// `excluding`, resolved at the latest scan (a state directory may be created after the watcher).
    private var excluded: [String] = []
    private var warnedLinks: Set<String> = []
    private var pending: DispatchWorkItem?
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)

    private static let mask = UInt32(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO
        | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
    /// Added to whatever a holder's watch has already: it may also be a directory inside another root's tree.
    private static let holderMask = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MASK_ADD | IN_ONLYDIR)

    /// - Parameters:
    ///   - excluding: directories never watched, nor anything below them, and whose events are ignored (the
    ///     server's state directory: its writes would otherwise trigger reloads that write it again).
    ///   - unclosedWriteTimeout: a file written to and not closed is reported this long after its last write.
    ///   - onWarning: told once per directory symlink that is not followed because it leaves its root.
    public init(roots: [String], excluding: [String] = [], queue: DispatchQueue,
                settle: DispatchTimeInterval = .milliseconds(100), maxDelay: DispatchTimeInterval = .seconds(1),
                unclosedWriteTimeout: DispatchTimeInterval = .seconds(5),
                onWarning: @escaping (String) -> Void = { _ in },
                onChange: @escaping (FileChanges) -> Void) throws {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw SystemError("inotify_init1") }
        self.roots = roots.map(WatchedRoot.init(path:))
        self.excluding = excluding
        self.queue = queue
        self.settle = settle
        self.maxDelay = maxDelay
        self.onChange = onChange
        self.onWarning = onWarning
        writes = PendingWrites(timeout: unclosedWriteTimeout)
        source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
        writeDeadline = DispatchSource.makeTimerSource(queue: queue)
        let fd = descriptor
        source.setCancelHandler { close(fd) }
        source.setEventHandler { [unowned self] in readEvents() }
        writeDeadline.setEventHandler { [unowned self] in writesWentQuiet() }
        writeDeadline.schedule(deadline: .distantFuture)
        for index in self.roots.indices { self.roots[index].identity = FileIdentity.of(self.roots[index].path) }
        _ = rescan()
        source.activate()
        writeDeadline.activate()
    }

    deinit {
        source.cancel()
        writeDeadline.cancel()
        pending?.cancel()
        buffer.deallocate()
    }

    /// Files written to and not yet closed (full paths, as reported): a full reload keeps their previous version.
    /// Read on the watcher's queue.
    public var pathsBeingWritten: Set<String> { writes.paths }

    /// Inotify watches held, for tests.
    var watchCount: Int { Set(directories.keys).union(holders.keys).count }

    /// Checks whether each root is still the directory watched and, if one was replaced (or came back), watches its
    /// new tree; returns those roots. For a reload that does not come from the watcher (SIGHUP), which may follow a
    /// change the watcher could not see (a symlink higher up than the directory holding the root).
    public func refreshRoots() -> [String] {
        guard roots.contains(where: { FileIdentity.of($0.path) != $0.identity }) else { return [] }
        let replaced = rescan()
        armWriteDeadline()
        return replaced
    }

    /// Watches every directory under the roots (adding an existing watch returns it again) and the directories
    /// holding them, then removes the watches nothing reached (directories moved away, trees of replaced roots);
    /// returns the roots that are another directory than before. The directories just below a root are walked on
    /// lanes: after a reboot, with the tree out of the page cache, one thread waiting for each directory in turn was
    /// a large part of start-up.
    private func rescan() -> [String] {
        excluded = excluding.map(resolvedPathAllowingMissing)
        var found: [Int32: WatchedDirectory] = [:]
        var foundHolders: [Int32: Set<String>] = [:]
        var replaced: [String] = []
        for index in roots.indices {
            let root = roots[index]
            // Before the walk: a swap during the walk then shows as a difference at the next look.
            let identity = FileIdentity.of(root.path)
            if identity != root.identity {
                if identity != nil { replaced.append(root.path) }
                writes.forget(under: root.path)
                roots[index].identity = identity
            }
            if let resolved = resolvedPath(root.path) { roots[index].resolved = resolved }
            for entry in roots[index].followedEntries {
                let watch = inotify_add_watch(descriptor, entry.directory, Self.holderMask)
                if watch >= 0 { foundHolders[watch, default: []].insert(entry.name) }
            }
            let tree = walk(root)
            roots[index].watch = tree.first?.0
            for (watch, directory) in tree where found[watch] == nil { found[watch] = directory }
        }
        for watch in Set(directories.keys).union(holders.keys) where found[watch] == nil && foundHolders[watch] == nil {
            inotify_rm_watch(descriptor, watch)
        }
        directories = found
        holders = foundHolders
        return replaced
    }

    /// The watches of one root's tree; warns about directory symlinks leaving it.
    private func walk(_ root: WatchedRoot) -> [(Int32, WatchedDirectory)] {
        guard let resolvedRoot = resolvedPath(root.path) else { return [] }
        let walk = WatchTreeWalk(descriptor: descriptor, mask: Self.mask, resolvedRoot: resolvedRoot, excluded: excluded)
        let top = WatchedDirectory(path: root.path, resolved: resolvedRoot)
        guard let rootWatch = walk.watch(top) else { return [] }
        var linksLeaving: [String] = []
        let children = walk.subdirectories(of: top, linksLeaving: &linksLeaving)
        let trees = Lanes.map(count: children.count, label: "mta-sts-host.watch") {
            { index in
                var seen: Set<Int32> = [rootWatch]
                var found = WatchTreeWalk.Found()
                walk.walk(children[index], seen: &seen, into: &found)
                return found
            }
        }
        for link in linksLeaving + trees.flatMap(\.linksLeaving) where warnedLinks.insert(link).inserted {
            onWarning("\(link): directory symlink leaves \(root.path); not followed")
        }
        // A directory reached along several paths keeps the first, as a single walk would have.
        return [(rootWatch, top)] + trees.flatMap(\.watches)
    }

    private func readEvents() {
        var noted = false
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            guard count > 0 else { break }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let event = buffer.baseAddress!.advanced(by: offset).loadUnaligned(as: inotify_event.self)
                let nameStart = offset + MemoryLayout<inotify_event>.size
                let name = event.len > 0 ? String(cString: buffer.baseAddress!.advanced(by: nameStart)
                    .assumingMemoryBound(to: CChar.self)) : ""
                if note(event, name: name) { noted = true }
                offset = nameStart + Int(event.len)
            }
        }
        armWriteDeadline()
        if noted { schedule() }
    }

    /// Records one event; true when it is news to report.
    private func note(_ event: inotify_event, name: String) -> Bool {
        let mask = event.mask
        // Lost events: only a full look is safe.
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            changes.isComplete = false
            return true
        }
        // The kernel let go of the watch (its directory is gone, or the watch was removed): so does the map.
        if mask & UInt32(IN_IGNORED) != 0 {
            if let directory = directories.removeValue(forKey: event.wd) { writes.forget(under: directory.path) }
            holders[event.wd] = nil
            for index in roots.indices where roots[index].watch == event.wd {
                roots[index].watch = nil
                roots[index].identity = nil
            }
            return false
        }
        var noted = false
        if mask & UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO) != 0, holders[event.wd]?.contains(name) == true {
            // A root (or its target) was created, deleted or renamed: the next scan sees whether it is another directory.
            changes.isComplete = false
            noted = true
        }
        // Events of a watch already removed (a replaced root's old tree) are no news.
        guard let directory = directories[event.wd] else { return noted }
        // The watched directory itself was moved, deleted or had its permissions changed.
        if name.isEmpty {
            changes.isComplete = false
            return true
        }
        guard !isExcluded(joinPath(directory.resolved, name)) else { return noted }
        let path = directory.path + "/" + name
        if mask & UInt32(IN_ISDIR) != 0 {
            // A new directory needs watching, one moved away needs letting go, and both a full reload.
            if mask & UInt32(IN_MOVED_FROM) != 0 { release(under: path) }
            changes.isComplete = false
            changes.paths.insert(path)
            return true
        }
        let write: PendingWrites.Event
        if mask & UInt32(IN_CREATE) != 0 {
            write = createdFileKind(path)
        } else if mask & UInt32(IN_MODIFY) != 0 {
            write = .written
        } else if mask & UInt32(IN_CLOSE_WRITE) != 0 {
            write = .closed
        } else if mask & UInt32(IN_ATTRIB) != 0 {
            write = .attributesChanged
        } else {
            // Renamed in or out, or deleted. A symlink to a directory renamed in (`..data`) is a new tree.
            if mask & UInt32(IN_MOVED_TO) != 0, WatchTreeWalk.isDirectory(path) { changes.isComplete = false }
            write = .replaced
        }
        guard writes.note(write, path: path, at: .now()) else { return noted }
        changes.paths.insert(path)
        return true
    }

    /// A new regular file is being written; a second link to an existing file (`ln`) or a symlink is complete.
    private func createdFileKind(_ path: String) -> PendingWrites.Event {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .replaced }
        if info.st_mode & S_IFMT == S_IFREG, info.st_nlink == 1 { return .written }
        // A new symlink to a directory (or a directory, on file systems that leave IN_ISDIR out) needs watching.
        if WatchTreeWalk.isDirectory(path) { changes.isComplete = false }
        return .replaced
    }

    private func isExcluded(_ resolved: String) -> Bool {
        excluded.contains { isPath(resolved, within: $0) }
    }

    /// Removes the watches of a directory moved out of the tree and of those below it: their events would otherwise
    /// keep coming under a path that no longer names them. Another way to reach them is found again by the next scan.
    private func release(under path: String) {
        let prefix = path + "/"
        for (watch, directory) in directories where directory.path == path || directory.path.hasPrefix(prefix) {
            directories[watch] = nil
            if holders[watch] == nil { inotify_rm_watch(descriptor, watch) }
        }
        writes.forget(under: path)
    }

    private func armWriteDeadline() {
        writeDeadline.schedule(deadline: writes.nextDeadline ?? .distantFuture)
    }

    private func writesWentQuiet() {
        let due = writes.expire(at: .now())
        armWriteDeadline()
        guard !due.isEmpty else { return }
        changes.paths.formUnion(due)
        schedule()
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
            var settled = changes
            changes = FileChanges()
            // A new directory or a root event shows up as an incomplete change: only then can there be something new
            // to watch, or watches to let go.
            if !settled.isComplete {
                settled.replacedRoots = rescan()
                armWriteDeadline()
            }
            onChange(settled)
        }
        pending = work
        queue.asyncAfter(deadline: fireAt, execute: work)
    }
}
