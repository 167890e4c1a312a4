import Dispatch
import Glibc

/// Maps items on several threads of their own ("lanes"), for loading work that mixes parsing with file reads:
/// with more lanes than CPUs, some lanes parse while others wait for the disk when the files are out of the page
/// cache (after a reboot). Each lane is a serial queue, so a lane that blocks holds no thread of a shared pool.
public enum Lanes {
    /// Up to four lanes per CPU, and at least 64 items per lane (a lane has a set-up cost).
    public static func count(for items: Int) -> Int {
        max(1, min(items / 64, 4 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }

    /// Returns `work(index)` for every index below `count`, in order. `makeWork` runs once per lane, on that lane,
    /// and may set up state the lane keeps for its items (an OpenSSL decoder, say).
    public static func map<Output>(count: Int, label: String,
                                   makeWork: @escaping @Sendable () -> (Int) -> Output) -> [Output] {
        let lanes = Self.count(for: count)
        let slots = Slots<Output>(count: count)
        defer { slots.deallocate() }
        let group = DispatchGroup()
        for lane in 0..<lanes {
            DispatchQueue(label: "\(label).\(lane)").async(group: group) {
                let work = makeWork()
                for index in stride(from: lane, to: count, by: lanes) {
                    slots.buffer[index] = work(index)
                }
            }
        }
        group.wait()
        return slots.buffer.map { $0! }
    }
}

/// Disjoint result slots: each index is written by exactly one lane, and read only after all lanes finished.
private struct Slots<Output>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Output?>

    init(count: Int) {
        buffer = .allocate(capacity: count)
        buffer.initialize(repeating: nil)
    }

    func deallocate() {
        buffer.deinitialize()
        buffer.deallocate()
    }
}
