import HTTP

/// What a protocol exchange needs from its connection and worker, without knowing either.
struct ExchangeContext {
    /// Routes a request (PolicyResponder over the connection's catalog and SNI).
    let decide: (HTTPRequestHead) -> PolicyResponder.Decision
    /// Counts and logs an answered request.
    let answered: (_ status: Int, _ head: HTTPRequestHead?) -> Void
    /// The current Date header value.
    let date: () -> [UInt8]
    let isDraining: () -> Bool
    let maxRequests: Int
}
