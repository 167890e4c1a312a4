import Logging

extension LogEvent {
    /// What both log formats write after the message's own parts: the handler's metadata, the event's over it, and
    /// the event's error under `error.message`, so the text and JSON lines of one event carry the same keys.
    func mergedMetadata(over handlerMetadata: Logger.Metadata) -> Logger.Metadata {
        var merged = handlerMetadata.merging(metadata ?? [:]) { $1 }
        if let error { merged["error.message"] = "\(error)" }
        return merged
    }
}
