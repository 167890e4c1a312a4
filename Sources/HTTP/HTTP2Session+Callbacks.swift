internal import CNGHTTP2

/// nghttp2's C callbacks. Each recovers the HTTP2Session from the user data and calls into it.
enum HTTP2Callbacks {
    static func makeServerSession(owner: HTTP2Session, option: OpaquePointer?) -> OpaquePointer? {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        var session: OpaquePointer?
        // Unretained: the session is deleted in the owner's deinit.
        nghttp2_session_server_new2(&session, callbacks, Unmanaged.passUnretained(owner).toOpaque(), option)
        return session
    }

    static func bodyProvider() -> nghttp2_data_provider {
        nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: readBody)
    }
}

private func owner(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session {
    Unmanaged<HTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
}

private let temporalFailure = Int32(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
private let callbackFailure = Int32(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue)

private func onBeginHeaders(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                            _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
          frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST else { return 0 }
    let http2 = owner(userData)
    http2.streams[frame.pointee.hd.stream_id] = HTTP2Stream()
    http2.streamsOpened += 1
    return 0
}

private func onHeader(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                      _ name: UnsafePointer<UInt8>?, _ nameLength: Int, _ value: UnsafePointer<UInt8>?, _ valueLength: Int,
                      _ flags: UInt8, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame, let name, let value else { return 0 }
    let http2 = owner(userData)
    guard let stream = http2.streams[frame.pointee.hd.stream_id] else { return 0 }
    // Counted like SETTINGS_MAX_HEADER_LIST_SIZE (32 bytes of overhead per field): an HPACK bomb stops here.
    stream.headerBytes += nameLength + valueLength + 32
    if stream.headerBytes > http2.settings.maxHeaderListSize {
        http2.rejectedHeaderBlocks += 1
        if http2.rejectedHeaderBlocks > http2.settings.maxRejectedHeaderBlocks {
            http2.refuse("too many oversized header blocks")
            return callbackFailure
        }
        // Resets just this stream.
        return temporalFailure
    }
    let nameText = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
    let valueText = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
    return stream.absorb(name: nameText, value: valueText) ? 0 : temporalFailure
}

private func onFrameReceived(_ session: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                             _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let frame else { return 0 }
    let http2 = owner(userData)
    let header = frame.pointee.hd
    let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
    switch UInt32(header.type) {
    case NGHTTP2_HEADERS.rawValue, NGHTTP2_DATA.rawValue:
        if UInt32(header.type) == NGHTTP2_DATA.rawValue, header.length == 0, !endStream, !http2.admitControlFrame() {
            http2.refuse("empty DATA frame flood")
            return callbackFailure
        }
        if endStream, http2.streams[header.stream_id] != nil {
            http2.answer(streamID: header.stream_id)
        } else if UInt32(header.type) == NGHTTP2_HEADERS.rawValue, let stream = http2.streams[header.stream_id],
                  stream.keepsBody(limit: http2.settings.maxRequestBodyBytes),
                  let announced = stream.contentLength, announced > http2.settings.maxRequestBodyBytes {
            // Announced too large: refused before a byte of it is read.
            http2.refuseBody(streamID: header.stream_id)
        }
    default:
        // SETTINGS, PING, PRIORITY, WINDOW_UPDATE, RST_STREAM...: cheap for the client, work for us.
        if !http2.admitControlFrame() {
            http2.refuse("control frame flood")
            return callbackFailure
        }
    }
    return 0
}

private func onDataChunk(_ session: OpaquePointer?, _ flags: UInt8, _ streamID: Int32, _ data: UnsafePointer<UInt8>?,
                         _ length: Int, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    let http2 = owner(userData)
    guard let stream = http2.streams[streamID], !stream.refusedBody else { return 0 }
    stream.receivedBody = true
    // Only a POST keeps its body (a report upload); any other request here has none, and the answer is 400.
    guard stream.keepsBody(limit: http2.settings.maxRequestBodyBytes), let data else { return 0 }
    guard stream.requestBody.count + length <= http2.settings.maxRequestBodyBytes,
          http2.heldBodyBytes + length <= http2.settings.maxRequestBodyBytes else {
        http2.refuseBody(streamID: streamID)
        return 0
    }
    stream.requestBody.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
    http2.heldBodyBytes += length
    return 0
}

private func onStreamClose(_ session: OpaquePointer?, _ streamID: Int32, _ errorCode: UInt32,
                           _ userData: UnsafeMutableRawPointer?) -> Int32 {
    let http2 = owner(userData)
    if let stream = http2.streams[streamID] { http2.release(stream) }
    http2.streams[streamID] = nil
    return 0
}

private func readBody(_ session: OpaquePointer?, _ streamID: Int32, _ buffer: UnsafeMutablePointer<UInt8>?, _ length: Int,
                      _ dataFlags: UnsafeMutablePointer<UInt32>?, _ source: UnsafeMutablePointer<nghttp2_data_source>?,
                      _ userData: UnsafeMutableRawPointer?) -> Int {
    guard let buffer, let stream = owner(userData).streams[streamID] else {
        return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
    }
    let count = min(length, stream.body.count - stream.bodySent)
    stream.body.withUnsafeBufferPointer { body in
        buffer.update(from: body.baseAddress! + stream.bodySent, count: count)
    }
    stream.bodySent += count
    if stream.bodySent == stream.body.count { dataFlags?.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
    return count
}
