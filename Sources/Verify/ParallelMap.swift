import Dispatch
import Synchronization

/// Runs blocking work (DNS, TCP, TLS: mostly waiting) on `width` threads of its own; each thread takes the next
/// item from a shared counter, so a slow item (a timeout) delays only its own thread.
enum ParallelMap {
    static func map<Output: Sendable>(count: Int, width: Int, label: String,
                                      work: @escaping @Sendable (Int) -> Output) -> [Output] {
        guard count > 0 else { return [] }
        let next = Atomic<Int>(0)
        let results = Mutex([Output?](repeating: nil, count: count))
        let group = DispatchGroup()
        for lane in 0..<max(1, min(width, count)) {
            DispatchQueue(label: "\(label).\(lane)").async(group: group) {
                while true {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < count else { return }
                    let output = work(index)
                    results.withLock { $0[index] = output }
                }
            }
        }
        group.wait()
        return results.withLock { $0.map { $0! } }
    }
}
