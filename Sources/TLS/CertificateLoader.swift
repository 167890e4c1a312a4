import COpenSSL
import Glibc
import FileSystem

/// Parses and checks certificate/key pairs quickly: one private-key decoder reused for every key, intermediates
/// shared between chains (every certbot chain repeats the same one or two), and one security-level probe and one
/// chain checker for all the pairs it loads. Not thread-safe: one loader per thread.
final class CertificateLoader {
    /// More certificates than a leaf and its intermediates (and a root) need: a bundle or a mistake.
    static let maximumCertificates = 10
    /// Ten certificates with 4096-bit RSA keys fit in well under this.
    static let maximumFileBytes = 64 * 1024

    private let keyOutput = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 1)
    private let keyDecoder: OpaquePointer?
    /// Parsed certificates by their PEM text; only chain certificates (not leaves) are looked up.
    private var intermediates: [Substring: OpaquePointer] = [:]
    private let probe = SecurityLevelProbe()
    private let chainChecker: ChainChecker

    init(trustAnchors: TrustAnchors = .shared) {
        chainChecker = ChainChecker(trustAnchors: trustAnchors)
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
        /// What does not stop the pair from serving but needs the operator: near expiry, chain incomplete.
        let warnings: [String]
    }

    /// Parses the pair, or returns `earlier` again (under the new file signature) when both files still hold the
    /// bytes it was parsed from. Refuses (`CertificateRejection`) a pair that cannot serve well at `now`: outside
    /// its validity, refused by OpenSSL's security level, leaf not first, chain too large, key not matching.
    func load(certificatePath: String, keyPath: String, earlier: CertificateKeyPair? = nil,
              now: Int = Int(time(nil))) throws -> Loaded {
        let certificateFile = try Self.contents(of: certificatePath)
        guard certificateFile.bytes.count <= Self.maximumFileBytes else {
            throw CertificateRejection(certificatePath: certificatePath,
                                       reason: .fileTooLarge(bytes: certificateFile.bytes.count))
        }
        var keyFile = try Self.contents(of: keyPath)
        // Key material does not linger in our heap.
        defer { keyFile.bytes.withUnsafeMutableBytes { raw in _ = raw.initializeMemory(as: UInt8.self, repeating: 0) } }
        let signature = [certificateFile.signature, keyFile.signature]
        let keyReadableByOthers = keyFile.mode & S_IROTH != 0
        let digest = FileContentDigest(certificate: certificateFile.bytes, key: keyFile.bytes)
        if let earlier, earlier.contentDigest == digest {
            // Time has passed since it was parsed: the same bytes may have expired meanwhile.
            try Self.checkValidity(earlier, now: now)
            let chain = chainChecker.check(leaf: earlier.leaf, chain: earlier.chain)
            return Loaded(pair: earlier.withSignature(signature), parsed: false,
                          keyReadableByOthers: keyReadableByOthers, warnings: Self.warnings(earlier, chain, now: now))
        }
        ERR_clear_error()
        let blocks = PEMBlocks.certificates(in: String(decoding: certificateFile.bytes, as: UTF8.self))
        guard blocks.count <= Self.maximumCertificates else {
            throw CertificateRejection(certificatePath: certificatePath, reason: .tooManyCertificates(count: blocks.count))
        }
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
            let position = Self.position(ofCertificateFor: key, in: chain)
            X509_free(leaf); shim_sk_X509_pop_free(chain); EVP_PKEY_free(key)
            ERR_clear_error()
            if let position {
                throw CertificateRejection(certificatePath: certificatePath,
                                           reason: .outOfOrder(position: position, count: blocks.count))
            }
            throw CertificateRejection(certificatePath: certificatePath, reason: .keyMismatch(
                key: Self.shownPath(keyPath), certificate: Self.shownPath(certificatePath)))
        }
        let completeness = chainChecker.check(leaf: leaf, chain: chain)
        // From here the pair owns the OpenSSL objects: a rejection below frees them with it.
        let pair = CertificateKeyPair(certificatePath: certificatePath, keyPath: keyPath, signature: signature,
                                      contentDigest: digest, leaf: leaf, chain: chain, key: key,
                                      chainIsComplete: completeness == .complete)
        try Self.checkValidity(pair, now: now)
        if let reasons = probe.refusal(leaf: leaf, key: key, chain: chain) {
            throw CertificateRejection(certificatePath: certificatePath,
                                       reason: .securityLevel(level: probe.securityLevel, reasons: reasons))
        }
        return Loaded(pair: pair, parsed: true, keyReadableByOthers: keyReadableByOthers,
                      warnings: Self.warnings(pair, completeness, now: now))
    }

    private static func checkValidity(_ pair: CertificateKeyPair, now: Int) throws {
        switch CertificateValidity(notBefore: pair.notBefore, notAfter: pair.notAfter, now: now) {
        case .expired:
            throw CertificateRejection(certificatePath: pair.certificatePath,
                                       reason: .expired(notAfter: pair.notAfter, now: now))
        case .notYetValid:
            throw CertificateRejection(certificatePath: pair.certificatePath,
                                       reason: .notYetValid(notBefore: pair.notBefore))
        case .valid, .expiresSoon:
            break
        }
    }

    private static func warnings(_ pair: CertificateKeyPair, _ chain: ChainCompleteness, now: Int) -> [String] {
        var warnings: [String] = []
        let validity = CertificateValidity(notBefore: pair.notBefore, notAfter: pair.notAfter, now: now)
        if case .expiresSoon(let days) = validity {
            warnings.append("certificate expires in \(days) days (\(CertificateValidity.utcDate(pair.notAfter))); "
                            + "check that its renewal runs")
        }
        if let warning = chain.warning { warnings.append(warning) }
        return warnings
    }

    /// Where in the file (counted from 1, the leaf being 1) the certificate for `key` is, when it is not first.
    private static func position(ofCertificateFor key: OpaquePointer, in chain: OpaquePointer) -> Int? {
        for index in 0..<Int(shim_sk_X509_num(chain))
        where X509_check_private_key(shim_sk_X509_value(chain, Int32(index)), key) == 1 {
            return index + 2
        }
        return nil
    }

    /// The path as given, and where it really leads when symlinks are involved: `live/x/privkey.pem (-> /etc/...)`.
    private static func shownPath(_ path: String) -> String {
        guard let resolved = resolvedPath(path), resolved != path else { return path }
        return "\(path) (-> \(resolved))"
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
