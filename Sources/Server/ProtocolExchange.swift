/// The application protocol spoken over a connection's decrypted bytes (HTTP/1.1 or HTTP/2, chosen by ALPN).
/// It never touches the socket: bytes in, bytes out, and a few facts the connection's timeouts depend on.
protocol ProtocolExchange: AnyObject {
    /// Consumes decrypted input, appending any responses that are ready.
    func receive(_ bytes: UnsafeRawBufferPointer, output: inout [UInt8])
    /// Appends output that became ready without new input (HTTP/2 frames once the socket drained).
    func produce(output: inout [UInt8])
    /// Close once the output is flushed (Connection: close, a malformed request, GOAWAY completed).
    var isFinished: Bool { get }
    /// A request is partly received: the request-head timeout applies instead of the idle timeout.
    var isMidRequest: Bool { get }
    /// Finished after answering a request read whole, with no input after it: the connection may close without
    /// lingering, as nginx does, since the client has nothing more to send that would make the kernel reset it.
    var endedAfterWholeInput: Bool { get }
    /// The current timeout ran out: append any last words (408, GOAWAY). The connection then closes.
    func timedOut(output: inout [UInt8])
    /// Graceful stop: finish what is in flight, accept nothing new.
    func drain(output: inout [UInt8])
}
