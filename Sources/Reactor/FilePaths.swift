/// `directory/name`, whether or not `directory` already ends in a slash.
public func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
