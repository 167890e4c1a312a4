import COpenSSL
import Glibc

/// Parses certificate/key pairs quickly: one private-key decoder reused for every key, and intermediates shared
/// between chains (every certbot chain repeats the same one or two). Not thread-safe: one loader per thread.
final class CertificateLoader {
    private let keyOutput = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 1)
    private let keyDecoder: OpaquePointer?
    /// Parsed certificates by their PEM text; only chain certificates (not leaves) are looked up.
    private var intermediates: [Substring: OpaquePointer] = [:]

    init() {
        keyOutput.initialize(to: nil)
        keyDecoder = shim_private_key_decoder(keyOutput)
    }

    deinit {
        OSSL_DECODER_CTX_free(keyDecoder)
        intermediates.values.forEach { X509_free($0) }
        keyOutput.deallocate()
    }

    struct Loaded {
        let pair: CertificateKeyPair
        /// False when `earlier` was returned again.
        let parsed: Bool
        let keyReadableByOthers: Bool
    }

    /// Parses the pair, or returns `earlier` again (under the new file signature) when both files still hold the
    /// bytes it was parsed from.
    func load(certificatePath: String, keyPath: String, earlier: CertificateKeyPair? = nil) throws -> Loaded {
        let certificateFile = try Self.contents(of: certificatePath)
        var keyFile = try Self.contents(of: keyPath)
        // Key material does not linger in our heap.
        defer { keyFile.bytes.withUnsafeMutableBytes { raw in _ = raw.initializeMemory(as: UInt8.self, repeating: 0) } }
        let signature = [certificateFile.signature, keyFile.signature]
        let keyReadableByOthers = keyFile.mode & S_IROTH != 0
        let digest = FileContentDigest(certificate: certificateFile.bytes, key: keyFile.bytes)
        if let earlier, earlier.contentDigest == digest {
            return Loaded(pair: earlier.withSignature(signature), parsed: false, keyReadableByOthers: keyReadableByOthers)
        }
        ERR_clear_error()
        let blocks = PEMBlocks.certificates(in: String(decoding: certificateFile.bytes, as: UTF8.self))
        guard let leafBlock = blocks.first, let leaf = Self.parseCertificate(leafBlock) else {
            ERR_clear_error()
            throw TLSError("no readable certificate in \(certificatePath)", reasons: [])
        }
        let chain = shim_sk_X509_new_null()!
        for block in blocks.dropFirst() {
            guard let certificate = intermediate(block) else {
                X509_free(leaf); shim_sk_X509_pop_free(chain)
                throw TLSError.drain("unreadable chain certificate in \(certificatePath)")
            }
            _ = shim_sk_X509_push(chain, certificate)
        }
        guard let key = decodeKey(&keyFile.bytes) else {
            X509_free(leaf); shim_sk_X509_pop_free(chain)
            throw TLSError.drain("cannot read a private key from \(keyPath)")
        }
        guard X509_check_private_key(leaf, key) == 1 else {
            X509_free(leaf); shim_sk_X509_pop_free(chain); EVP_PKEY_free(key)
            ERR_clear_error()
            throw TLSError("private key \(keyPath) does not match certificate \(certificatePath)", reasons: [])
        }
        let pair = CertificateKeyPair(certificatePath: certificatePath, keyPath: keyPath, signature: signature,
                                      contentDigest: digest, leaf: leaf, chain: chain, key: key)
        return Loaded(pair: pair, parsed: true, keyReadableByOthers: keyReadableByOthers)
    }

    /// A new reference to the shared copy of a chain certificate.
    private func intermediate(_ block: Substring) -> OpaquePointer? {
        if let known = intermediates[block] {
            X509_up_ref(known)
            return known
        }
        guard let parsed = Self.parseCertificate(block) else { return nil }
        intermediates[block] = parsed
        X509_up_ref(parsed)
        return parsed
    }

    private func decodeKey(_ pem: inout [UInt8]) -> OpaquePointer? {
        guard let keyDecoder else { return nil }
        keyOutput.pointee = nil
        let decoded = pem.withUnsafeMutableBufferPointer { buffer -> Bool in
            var data: UnsafePointer<UInt8>? = UnsafePointer(buffer.baseAddress)
            var length = buffer.count
            return OSSL_DECODER_from_data(keyDecoder, &data, &length) == 1
        }
        return decoded ? keyOutput.pointee : nil
    }

    private static func parseCertificate(_ block: Substring) -> OpaquePointer? {
        var text = Array(block.utf8)
        return text.withUnsafeMutableBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
    }

    private struct FileContents {
        var bytes: [UInt8]
        let signature: FileSignature
        let mode: mode_t
    }

    /// A file's bytes with the signature and mode of the very file read: one path lookup instead of three, and a
    /// write racing with the read shows up as a change next time. Certificate and key files are small; a bigger
    /// one is not a certificate file.
    private static func contents(of path: String) throws -> FileContents {
        let limit = 1 << 20
        // O_NONBLOCK: a FIFO by a certificate's name fails to read instead of hanging the loader.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw TLSError("cannot open \(path): \(String(cString: strerror(errno)))", reasons: []) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw TLSError("cannot read \(path): \(String(cString: strerror(errno)))", reasons: [])
        }
        // Read in place, one byte more than the size to notice growth: key bytes are not copied elsewhere (unless the
        // file grows while being read, and the buffer with it).
        var bytes = [UInt8](repeating: 0, count: min(Int(info.st_size), limit) + 1)
        var filled = 0
        while true {
            if filled == bytes.count {
                guard bytes.count <= limit else { break }
                bytes += [UInt8](repeating: 0, count: min(bytes.count, limit + 1 - bytes.count))
            }
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0, errno == EINTR { continue }
            if count < 0 { throw TLSError("cannot read \(path): \(String(cString: strerror(errno)))", reasons: []) }
            if count == 0 { break }
            filled += count
        }
        guard filled <= limit else { throw TLSError("\(path) is over 1 MiB: not a certificate or key file", reasons: []) }
        bytes.removeLast(bytes.count - filled)
        return FileContents(bytes: bytes, signature: FileSignature(info), mode: info.st_mode)
    }
}

/// The `-----BEGIN CERTIFICATE-----` blocks of a PEM file, in order (pure, for tests).
enum PEMBlocks {
    static func certificates(in text: String) -> [Substring] {
        let begin = Array("-----BEGIN CERTIFICATE-----".utf8), end = Array("-----END CERTIFICATE-----".utf8)
        let bytes = Array(text.utf8)
        var blocks: [Substring] = []
        var position = 0
        while let start = find(begin, in: bytes, from: position), let stop = find(end, in: bytes, from: start + begin.count) {
            let upper = stop + end.count
            let lower = text.utf8.index(text.utf8.startIndex, offsetBy: start)
            blocks.append(Substring(text.utf8[lower..<text.utf8.index(lower, offsetBy: upper - start)]))
            position = upper
        }
        return blocks
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == first, bytes[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
