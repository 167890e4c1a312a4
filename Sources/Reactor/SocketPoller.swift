internal import CLinux
import Dispatch
import FileSystem
import Glibc

/// The readiness of every connection on one event loop, from one epoll instance behind one Dispatch read source.
///
/// A Dispatch source per connection costs a registration round-trip through Dispatch's manager thread on
/// accept and close, and a thread wake-up per event. One source on an epoll descriptor instead wakes the loop once
/// for a whole batch of ready connections: with a source per connection, context switching was a large share of
/// the CPU a keep-alive request costs.
///
/// Each time the source fires, Dispatch's manager thread wakes, hands the loop to a worker thread, and is woken
/// again to re-arm the source: several context switches per new TLS connection at a moderate rate, where nginx,
/// waiting in epoll_wait itself, makes one. So, when `hold` is not zero, a wake-up keeps the thread while the loop
/// is busy: it waits in `epoll_wait` itself for up to `hold` and returns to Dispatch only when that passes without
/// an event, when the hold is used up, or when `wake()` says other work is queued for the loop. Everything else
/// runs on the loop's serial queue.
public final class SocketPoller {
    private let epoll: Int32
    private let wakeDescriptor: Int32
    private let source: DispatchSourceRead
    private let holdMilliseconds: Int
    /// The registered sockets, indexed by descriptor (descriptors are small and reused: a table, not a hash).
    private var registrations: [Registration?] = []
    private var deferred: [() -> Void] = []
    private let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: 128)

    /// `hold`: how long one wake-up may keep its thread waiting for more events (zero: return at once).
    public init(queue: DispatchQueue, hold: Duration = .zero) throws {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw SystemError("epoll_create1") }
        wakeDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeDescriptor >= 0 else {
            close(epoll)
            throw SystemError("eventfd")
        }
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeDescriptor))
        _ = epoll_ctl(epoll, EPOLL_CTL_ADD, wakeDescriptor, &event)
        holdMilliseconds = Int(hold.components.seconds * 1000 + hold.components.attoseconds / 1_000_000_000_000_000)
        source = DispatchSource.makeReadSource(fileDescriptor: epoll, queue: queue)
        let descriptors = (epoll, wakeDescriptor)
        source.setCancelHandler {
            close(descriptors.0)
            close(descriptors.1)
        }
        source.setEventHandler { [unowned self] in poll() }
        source.activate()
    }

    deinit {
        source.cancel()
        events.deallocate()
    }

    /// Makes a held wake-up return to Dispatch, so that work just queued for the loop runs. Callable from any thread.
    public func wake() {
        _ = eventfd_write(wakeDescriptor, 1)
    }

    /// Runs `work` on the loop after the events at hand (a connection yielding to the others). On the loop's queue.
    public func soon(_ work: @escaping () -> Void) {
        deferred.append(work)
    }

    func add(_ descriptor: Int32, handler: any SocketEventHandler) -> Bool {
        let registration = Registration(handler: handler)
        var event = epoll_event(events: registration.interest, data: epoll_data_t(fd: descriptor))
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, descriptor, &event) == 0 else { return false }
        let index = Int(descriptor)
        if index >= registrations.count {
            registrations.append(contentsOf: repeatElement(nil, count: index + 1 - registrations.count))
        }
        registrations[index] = registration
        return true
    }

    func setReading(_ descriptor: Int32, _ enabled: Bool) {
        guard var registration = registrations[Int(descriptor)], registration.reading != enabled else { return }
        registration.reading = enabled
        update(descriptor, registration)
    }

    func setWriting(_ descriptor: Int32, _ enabled: Bool) {
        guard var registration = registrations[Int(descriptor)], registration.writing != enabled else { return }
        registration.writing = enabled
        update(descriptor, registration)
    }

    private func update(_ descriptor: Int32, _ registration: Registration) {
        registrations[Int(descriptor)] = registration
        var event = epoll_event(events: registration.interest, data: epoll_data_t(fd: descriptor))
        _ = epoll_ctl(epoll, EPOLL_CTL_MOD, descriptor, &event)
    }

    /// Forgets a descriptor; closing it (right after) removes it from the epoll set.
    func remove(_ descriptor: Int32) {
        registrations[Int(descriptor)] = nil
    }

    /// Delivers ready events in batches (level-triggered: whatever a batch leaves is reported again), then deferred
    /// work, until the loop falls idle for `hold`, the hold is used up, or `wake()` was called.
    private func poll() {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(holdMilliseconds) * 1_000_000
        var timeout: Int32 = 0
        while true {
            let count = epoll_wait(epoll, events.baseAddress, Int32(events.count), timeout)
            if count < 0, errno != EINTR { return }
            var woken = false
            for index in 0..<Int(max(count, 0)) {
                let event = events[index]
                if event.data.fd == wakeDescriptor {
                    var value: eventfd_t = 0
                    _ = eventfd_read(wakeDescriptor, &value)
                    woken = true
                } else {
                    deliver(event.events, to: Int(event.data.fd))
                }
            }
            runDeferred()
            let now = DispatchTime.now().uptimeNanoseconds
            let idle = count == 0 && timeout != 0
            guard !woken, !idle, now < deadline else {
                // Deferred work left over (a client still sending) runs on the next turn of the queue.
                if !deferred.isEmpty { wake() }
                return
            }
            let full = Int(count) == events.count
            timeout = full || !deferred.isEmpty ? 0 : Int32(clamping: (deadline - now + 999_999) / 1_000_000)
        }
    }

    private func deliver(_ events: UInt32, to index: Int) {
        guard index < registrations.count, let registration = registrations[index] else { return }
        // The handler may close itself in the first callback and be released by its owner: kept alive for both.
        let handler = registration.handler
        withExtendedLifetime(handler) {
            let failed = events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
            if registration.writing, events & EPOLLOUT.rawValue != 0 || failed {
                handler.socketWritable()
            }
            // Looked up again: the first callback may have closed the socket or changed what it waits for (no new
            // socket can take the descriptor meanwhile: only an acceptor's own callback registers one).
            guard let current = registrations[index] else { return }
            // A hang-up cannot be masked: it goes to whichever handler will notice the dead socket.
            if current.reading || (failed && !current.writing),
               events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 || failed {
                handler.socketReadable()
            }
        }
    }

    private func runDeferred() {
        guard !deferred.isEmpty else { return }
        let work = deferred
        deferred = []
        work.forEach { $0() }
    }
}

/// What the poller knows of one registered socket.
private struct Registration {
    /// Cancels its sources before it goes away: no event reaches it afterwards.
    unowned(unsafe) let handler: any SocketEventHandler
    var reading = true
    var writing = false

    var interest: UInt32 {
        (reading ? EPOLLIN.rawValue | EPOLLRDHUP.rawValue : 0) | (writing ? EPOLLOUT.rawValue : 0)
    }
}
