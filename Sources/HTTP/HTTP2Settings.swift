/// Our side of HTTP/2: what we announce, and the limits that keep a hostile client cheap.
public struct HTTP2Settings: Sendable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS.
    public var maxConcurrentStreams = 100
    /// SETTINGS_INITIAL_WINDOW_SIZE: requests here carry no bodies, so a small window costs nothing.
    public var initialWindowSize = 16_384
    /// SETTINGS_MAX_HEADER_LIST_SIZE, also enforced on the decoded list (an HPACK bomb is reset at this size).
    public var maxHeaderListSize = 16_384
    /// Streams one connection may open before we send GOAWAY (bounds stream-id use and per-client work).
    public var maxStreamsPerConnection = 10_000
    /// SETTINGS, PING, PRIORITY, WINDOW_UPDATE, RST_STREAM and empty DATA frames allowed per second. Kept below
    /// nghttp2's queued-ACK limit (100), so a flood packed into one TLS record meets our GOAWAY(ENHANCE_YOUR_CALM)
    /// rather than nghttp2's silent close. A sender fetching a policy needs a handful.
    public var maxControlFramesPerSecond = 50
    /// Requests reset for oversized headers before the whole connection is refused.
    public var maxRejectedHeaderBlocks = 10
    /// RST_STREAM token bucket (nghttp2's rapid-reset guard, CVE-2023-44487).
    public var resetBurst = 200
    public var resetRatePerSecond = 33
    /// CONTINUATION frames allowed after one HEADERS (CVE-2024-27316, CVE-2024-28182).
    public var maxContinuations = 8
    /// The largest request body kept (a report upload, POST only); 0 keeps none: a body then makes the answer 400.
    public var maxRequestBodyBytes = 0

    public init() {}
}
