internal import COpenSSL
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

    private static let pemInputType: StaticString = "PEM"
    private let keyOutput = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 1)
    private let keyDecoder: OpaquePointer?
    /// Parsed certificates by their PEM text; only chain certificates (not leaves) are looked up.
    private var intermediates: [Substring: X509Certificate] = [:]
    /// Chains by their certificates' PEM text: pairs with the same intermediates share one chain.
    private var chains: [[Substring]: CertificateChain] = [:]
    private let probe = SecurityLevelProbe()
    private let chainChecker: ChainChecker

    init(trustAnchors: TrustAnchors = .shared) {
        chainChecker = ChainChecker(trustAnchors: trustAnchors)
        keyOutput.initialize(to: nil)
        // Reusable: in OpenSSL 3.0 creating a decoder costs far more than decoding with it, and
        // PEM_read_bio_PrivateKey builds a decoder for every key it reads.
        // The decoder keeps the input type's pointer, not a copy, for every later decode: static text only.
        let inputType = UnsafeRawPointer(Self.pemInputType.utf8Start).assumingMemoryBound(to: CChar.self)
        keyDecoder = OSSL_DECODER_CTX_new_for_pkey(keyOutput, inputType, nil, nil,
                                                   OSSL_KEYMGMT_SELECT_PRIVATE_KEY | OSSL_KEYMGMT_SELECT_PUBLIC_KEY,
                                                   nil, nil)
    }

    deinit {
        OSSL_DECODER_CTX_free(keyDecoder)
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
              now: Int = Int(Glibc.time(nil))) throws -> Loaded {
        let certificateFile = try Self.contents(of: certificatePath)
        guard certificateFile.bytes.count <= Self.maximumFileBytes else {
            throw CertificateRejection(certificatePath: certificatePath,
                                       reason: .fileTooLarge(bytes: certificateFile.bytes.count))
        }
        var keyFile = try Self.contents(of: keyPath)
        // Key material does not linger in our heap.
        defer { keyFile.bytes.withUnsafeMutableBytes { raw in _ = raw.initializeMemory(as: UInt8.self, repeating: 0) } }
        let signature = [FileSignature(certificateFile.status), FileSignature(keyFile.status)]
        let keyReadableByOthers = keyFile.status.st_mode & S_IROTH != 0
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
        guard let leafBlock = blocks.first, let leaf = X509Certificate(pem: leafBlock) else {
            ERR_clear_error()
            throw TLSError("no readable certificate in \(certificatePath)", reasons: [])
        }
        let chain = try sharedChain(Array(blocks.dropFirst()), in: certificatePath)
        guard let key = decodeKey(&keyFile.bytes) else {
            throw TLSError.drain("cannot read a private key from \(keyPath)")
        }
        guard X509_check_private_key(leaf.pointer, key.pointer) == 1 else {
            let position = Self.position(ofCertificateFor: key, in: chain)
            ERR_clear_error()
            if let position {
                throw CertificateRejection(certificatePath: certificatePath,
                                           reason: .outOfOrder(position: position, count: blocks.count))
            }
            throw CertificateRejection(certificatePath: certificatePath, reason: .keyMismatch(
                key: Self.shownPath(keyPath), certificate: Self.shownPath(certificatePath)))
        }
        let completeness = chainChecker.check(leaf: leaf, chain: chain)
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

    /// For a key that does not match the leaf: where in the file (counted from 1, the leaf being 1) the chain
    /// certificate it does match is, so the rejection can say the certificates are out of order; nil when none does.
    private static func position(ofCertificateFor key: PrivateKey, in chain: CertificateChain) -> Int? {
        for index in 0..<chain.count where X509_check_private_key(chain[index], key.pointer) == 1 {
            return index + 2
        }
        return nil
    }

    /// The path as given, and where it really leads when symlinks are involved: `live/x/privkey.pem (-> /etc/...)`.
    private static func shownPath(_ path: String) -> String {
        guard let resolved = resolvedPath(path), resolved != path else { return path }
        return "\(path) (-> \(resolved))"
    }

    /// The chain of the certificates in `blocks` (PEM text, in file order), shared with every earlier pair that
    /// had the same ones; each certificate parsed once per loader.
    private func sharedChain(_ blocks: [Substring], in certificatePath: String) throws -> CertificateChain {
        if let known = chains[blocks] { return known }
        var certificates: [X509Certificate] = []
        for block in blocks {
            guard let certificate = intermediate(block) else {
                throw TLSError.drain("unreadable chain certificate in \(certificatePath)")
            }
            certificates.append(certificate)
        }
        guard let chain = CertificateChain(certificates) else { throw TLSError.drain("building the chain of \(certificatePath)") }
        chains[blocks] = chain
        return chain
    }

    /// The shared copy of a chain certificate.
    private func intermediate(_ block: Substring) -> X509Certificate? {
        if let known = intermediates[block] { return known }
        guard let parsed = X509Certificate(pem: block) else { return nil }
        intermediates[block] = parsed
        return parsed
    }

    private func decodeKey(_ pem: inout [UInt8]) -> PrivateKey? {
        guard let keyDecoder else { return nil }
        keyOutput.pointee = nil
        let decoded = pem.withUnsafeMutableBufferPointer { buffer -> Bool in
            var data: UnsafePointer<UInt8>? = UnsafePointer(buffer.baseAddress)
            var length = buffer.count
            return OSSL_DECODER_from_data(keyDecoder, &data, &length) == 1
        }
        guard decoded, let key = keyOutput.pointee else { return nil }
        keyOutput.pointee = nil
        return PrivateKey(owning: key)
    }

    /// A file's bytes with the status of the very file read (`readFile`). Certificate and key files are small; a
    /// bigger one is not a certificate file.
    private static func contents(of path: String) throws -> FileContents {
        do {
            return try readFile(path, limit: 1 << 20)
        } catch {
            switch error {
            case .failed(let error):
                throw TLSError("cannot \(error.operation) \(path): \(error.reason)", reasons: [])
            case .notRegularFile: throw TLSError("cannot read \(path): not a regular file", reasons: [])
            case .tooLarge: throw TLSError("\(path) is over 1 MiB: not a certificate or key file", reasons: [])
            }
        }
    }
}
