/// Carries a queue-confined value into a Dispatch closure that runs on that same queue.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
