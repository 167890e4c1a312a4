import HTTP

/// What a protocol exchange needs from its connection (and so from its worker), without knowing either.
/// The connection implements it; the exchange holds it unowned, so no closures are allocated per connection.
protocol ExchangeContext: AnyObject {
    /// Routes a request (PolicyResponder over the current catalog and the connection's SNI).
    func decide(_ request: HTTPRequestHead) -> PolicyResponder.Decision
    /// Counts and logs an answered request.
    func answered(_ status: Int, _ request: HTTPRequestHead?)
    /// The current Date header value.
    var date: [UInt8] { get }
    var isDraining: Bool { get }
    var maxRequests: Int { get }
}
