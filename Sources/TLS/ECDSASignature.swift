internal import COpenSSL

/// Converts ECDSA signatures between OpenSSL's DER (ECDSA-Sig-Value) and JOSE's fixed-width r || s.
enum ECDSASignature {
    static func raw(fromDER der: [UInt8], width: Int) throws -> [UInt8] {
        var cursor: UnsafePointer<UInt8>? = nil
        let signature = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            cursor = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let signature else { throw TLSError.drain("reading an ECDSA signature") }
        defer { ECDSA_SIG_free(signature) }
        var r: OpaquePointer? = nil, s: OpaquePointer? = nil
        ECDSA_SIG_get0(signature, &r, &s)
        var raw = [UInt8](repeating: 0, count: 2 * width)
        let written = raw.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return BN_bn2binpad(r, base, Int32(width)) == width && BN_bn2binpad(s, base + width, Int32(width)) == width
        }
        guard written else { throw TLSError.drain("an ECDSA signature wider than \(width) bytes per half") }
        return raw
    }
}
