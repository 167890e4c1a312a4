internal import CNGHTTP2
import Glibc

/// One HTTP/2 server connection: nghttp2 does the framing, HPACK and flow control; we answer complete requests.
///
/// Bytes in through `receive`, frames out through `produce`; the owner moves them over TLS. CNGHTTP2 is imported
/// here, by its C callbacks (HTTP2Session+Callbacks.swift, which recover this object from nghttp2's user data) and
/// by HTTP2Response (the header pairs it lends nghttp2), each an `internal import`: no nghttp2 type leaves HTTP.
public final class HTTP2Session {
    public typealias Responder = (HTTPRequestHead) -> PolicyResponder.Decision

    let settings: HTTP2Settings
    let respond: Responder
    /// Takes a report whose body arrived whole; its answer comes back through `complete(stream:with:)`.
    let upload: (ReportUpload) -> Void
    let date: () -> [UInt8]
    /// Monotonic milliseconds, for the control-frame budget (the caller's clock, so a test can drive it).
    let milliseconds: () -> Int
    private var session: OpaquePointer?
    /// Requests being received, and responses being sent, by stream id.
    var streams: [Int32: HTTP2Stream] = [:]
    var streamsOpened = 0
    /// Request body bytes held by all streams: bounded to one body's limit, so 100 concurrent streams cannot each
    /// hold a report (a sender posts one report per connection anyway).
    var heldBodyBytes = 0
    var rejectedHeaderBlocks = 0
    /// When the control frames of the last second arrived (monotonic ms, oldest first; at most the budget).
    private var recentControlFrames: [Int] = []
    public private(set) var goingAway = false
    /// Why the session was torn down, when it was (for logs and metrics).
    public private(set) var failure: String?

    public init(settings: HTTP2Settings, respond: @escaping Responder, upload: @escaping (ReportUpload) -> Void = { _ in },
                date: @escaping () -> [UInt8], milliseconds: @escaping () -> Int) {
        self.settings = settings
        self.respond = respond
        self.upload = upload
        self.date = date
        self.milliseconds = milliseconds
        var option: OpaquePointer?
        nghttp2_option_new(&option)
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_stream_reset_rate_limit(option, UInt64(settings.resetBurst), UInt64(settings.resetRatePerSecond))
        nghttp2_option_set_max_continuations(option, settings.maxContinuations)
        nghttp2_option_set_max_settings(option, 32)
        // A peer that never reads our SETTINGS/PING acknowledgements cannot make us queue them without bound.
        nghttp2_option_set_max_outbound_ack(option, 100)
        nghttp2_option_set_no_closed_streams(option, 1)
        session = HTTP2Callbacks.makeServerSession(owner: self, option: option)
        submitSettings()
    }

    deinit { nghttp2_session_del(session) }

    /// Feeds bytes from the client; false when the session failed and the connection should close.
    public func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let result = nghttp2_session_mem_recv(session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        if result < 0 {
            // A refusal from a callback (a flood, say) says more than nghttp2's "user callback function failed".
            failure = failure ?? String(cString: nghttp2_strerror(Int32(result)))
            return false
        }
        return true
    }

    /// Appends frames ready to send, up to about `limit` bytes; false when the session failed.
    public func produce(into output: inout [UInt8], limit: Int = 64 * 1024) -> Bool {
        while output.count < limit {
            var data: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &data)
            if count < 0 {
                failure = String(cString: nghttp2_strerror(Int32(count)))
                return false
            }
            guard count > 0, let data else { break }
            output.append(contentsOf: UnsafeBufferPointer(start: data, count: count))
        }
        return true
    }

    /// Nothing more to read or write: after GOAWAY and the last stream, or after a fatal error.
    public var isFinished: Bool {
        nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0
    }

    /// Whether a request is partly received or a response not yet fully produced.
    public var hasActiveStreams: Bool { !streams.isEmpty }

    /// Graceful shutdown: GOAWAY naming the last stream we will answer; streams in flight complete.
    public func goAway() {
        guard !goingAway else { return }
        goingAway = true
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
                              NGHTTP2_NO_ERROR.rawValue, nil, 0)
    }

    /// Tears the session down with GOAWAY(ENHANCE_YOUR_CALM) for abusive traffic.
    func refuse(_ reason: String) {
        failure = reason
        goingAway = true
        nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
    }

    /// Counts a frame that costs us work without being a request; true while within the budget.
    /// A sliding second, not a calendar one: a flood that straddles a second boundary gets one budget, not two.
    func admitControlFrame() -> Bool {
        let now = milliseconds()
        let stale = recentControlFrames.prefix { now - $0 >= 1000 }.count
        recentControlFrames.removeFirst(stale)
        guard recentControlFrames.count < settings.maxControlFramesPerSecond else { return false }
        recentControlFrames.append(now)
        return true
    }

    private func submitSettings() {
        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                                   value: UInt32(settings.maxConcurrentStreams)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                                   value: UInt32(settings.initialWindowSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                                   value: UInt32(settings.maxHeaderListSize)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
    }

    // MARK: requests

    /// A stream's request is complete: decide, then submit the response (headers, and the body if any).
    func answer(streamID: Int32) {
        guard let stream = streams[streamID], !stream.refusedBody else { return }
        let decision = respond(stream.requestHead())
        if case .receiveReport(let host) = decision.answer {
            stream.awaitingAnswer = true
            upload(ReportUpload(stream: streamID, host: host, contentType: stream.contentType, body: stream.requestBody))
            release(stream)
            return
        }
        submit(decision, streamID: streamID)
    }

    /// The answer to a stream handed on by `upload`; nothing when the client has reset the stream meanwhile.
    public func complete(stream streamID: Int32, with answer: PlainAnswer) {
        guard let stream = streams[streamID], stream.awaitingAnswer else { return }
        stream.awaitingAnswer = false
        submit(PolicyResponder.Decision(answer: .plain(answer), close: false, omitBody: false), streamID: streamID)
    }

    /// A body over the limit: answered 413 at once. Once that response is sent whole, nghttp2 resets the stream
    /// with NO_ERROR (the answer stands, RFC 9113 §8.1), so the client stops sending; resetting it ourselves here
    /// would go out first and take the response with it.
    func refuseBody(streamID: Int32) {
        guard let stream = streams[streamID], !stream.refusedBody else { return }
        stream.refusedBody = true
        release(stream)
        submit(PolicyResponder.Decision(answer: .plain(PlainAnswer(.contentTooLarge, "the report is larger than "
            + "\(settings.maxRequestBodyBytes) bytes")), close: false, omitBody: false), streamID: streamID)
    }

    /// Drops a stream's body and its share of `heldBodyBytes`.
    func release(_ stream: HTTP2Stream) {
        heldBodyBytes -= stream.requestBody.count
        stream.requestBody = []
    }

    private func submit(_ decision: PolicyResponder.Decision, streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        let response = HTTP2Response(decision: decision, date: date())
        stream.body = response.body
        response.withHeaderFields { fields in
            if response.body.isEmpty {
                _ = nghttp2_submit_response(session, streamID, fields.baseAddress, fields.count, nil)
            } else {
                var provider = HTTP2Callbacks.bodyProvider()
                _ = nghttp2_submit_response(session, streamID, fields.baseAddress, fields.count, &provider)
            }
        }
        if streamsOpened >= settings.maxStreamsPerConnection { goAway() }
    }
}
