/// Receives the readiness of one socket registered through `SocketRegistration`: the owner of the sources (a connection, an
/// acceptor), which cancels them before it goes away. Held without reference counting, so that registering a
/// connection allocates no closures and delivering an event costs no unowned-reference check.
public protocol SocketEventHandler: AnyObject {
    func socketReadable()
    func socketWritable()
}
