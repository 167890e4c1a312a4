/// The outcome of one non-blocking TLS operation.
public enum TLSIOResult: Equatable {
    /// Bytes read or written (0 for a completed handshake or shutdown).
    case done(Int)
    case wantRead
    case wantWrite
    /// The peer closed (close_notify, EOF or a reset).
    case closed
    /// A TLS protocol failure, with OpenSSL's reason (e.g. "no shared cipher", "unsupported protocol").
    case failed(String)
}
