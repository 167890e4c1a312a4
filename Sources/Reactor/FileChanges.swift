/// What changed in a burst of file events.
public struct FileChanges: Sendable, Equatable {
    /// Full paths (watched directory + "/" + entry name) of the entries that changed.
    public var paths: Set<String> = []
    /// False when events were lost or a directory changed: then only a full reload is safe.
    public var isComplete = true
    /// Roots (as given to the watcher) that are another directory than the one watched before, or that came
    /// back after being gone: their new tree is watched now.
    public var replacedRoots: [String] = []

    public init(paths: Set<String> = [], isComplete: Bool = true, replacedRoots: [String] = []) {
        self.paths = paths
        self.isComplete = isComplete
        self.replacedRoots = replacedRoots
    }
}
