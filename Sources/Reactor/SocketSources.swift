import Dispatch
import Glibc

/// The Dispatch sources of one connected socket. The descriptor is closed only after every source on it has
/// been cancelled, so a recycled descriptor number can never meet a stale registration.
public final class SocketSources {
    public let descriptor: Int32
    private let queue: DispatchQueue
    private let readSource: DispatchSourceRead
    private var writeSource: DispatchSourceWrite?
    private var writeSuspended = false
    private var readSuspended = false
    private var liveSources = 1
    private var cancelled = false
    private let onWritable: () -> Void

    public init(descriptor: Int32, queue: DispatchQueue, onReadable: @escaping () -> Void, onWritable: @escaping () -> Void) {
        self.descriptor = descriptor
        self.queue = queue
        self.onWritable = onWritable
        readSource = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
        readSource.setEventHandler(handler: onReadable)
        readSource.setCancelHandler { [self] in sourceCancelled() }
        readSource.activate()
    }

    /// Stops or restarts read events (back-pressure while output is pending).
    public func setReading(_ enabled: Bool) {
        guard !cancelled, enabled == readSuspended else { return }
        readSuspended = !enabled
        enabled ? readSource.resume() : readSource.suspend()
    }

    /// Asks for one writable event; the source is created only for connections that ever fill the socket.
    public func setWriting(_ enabled: Bool) {
        guard !cancelled else { return }
        if let writeSource {
            guard enabled == writeSuspended else { return }
            writeSuspended = !enabled
            enabled ? writeSource.resume() : writeSource.suspend()
        } else if enabled {
            let source = DispatchSource.makeWriteSource(fileDescriptor: descriptor, queue: queue)
            source.setEventHandler(handler: onWritable)
            source.setCancelHandler { [self] in sourceCancelled() }
            liveSources += 1
            writeSource = source
            source.activate()
        }
    }

    /// Cancels every source; the descriptor is closed once the last cancellation has completed.
    public func cancel() {
        guard !cancelled else { return }
        cancelled = true
        // A suspended source never delivers its cancellation.
        if readSuspended { readSource.resume() }
        readSource.cancel()
        if let writeSource {
            if writeSuspended { writeSource.resume() }
            writeSource.cancel()
        }
    }

    private func sourceCancelled() {
        liveSources -= 1
        if liveSources == 0 {
            close(descriptor)
            // Break the cycles between the sources' handlers and their owner.
            readSource.setEventHandler(handler: nil)
            writeSource?.setEventHandler(handler: nil)
        }
    }
}
