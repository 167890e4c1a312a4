/// Carries a queue-confined object into a Dispatch closure that runs on that same queue.
public struct UncheckedBox<Value: AnyObject>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
