internal import COpenSSL

/// Finds how complete a pair's chain is (`ChainCompleteness`): from the leaf, each certificate must be self-issued,
/// issued by a trust anchor, or issued by the next one in the file. Names and key identifiers only, no signature
/// verification, and the trust store is asked once per issuer: thousands of leaves share a handful of issuers.
/// One per loader; not thread-safe.
final class ChainChecker {
    private let trustAnchors: TrustAnchors
    /// Whether a trust anchor issued certificates with this issuer, by issuer name (DER) and authority key id.
    private var issuedByAnchor: [[UInt8]: Bool] = [:]

    init(trustAnchors: TrustAnchors) {
        self.trustAnchors = trustAnchors
    }

    func check(leaf: X509Certificate, chain: CertificateChain) -> ChainCompleteness {
        let count = chain.count + 1
        func certificate(_ index: Int) -> OpaquePointer {
            index == 0 ? leaf.pointer : chain[index - 1]
        }
        for index in 0..<count {
            let current = certificate(index)
            if isSelfIssued(current) || isIssuedByAnchor(current) { return .complete }
            guard index + 1 < count else { return .missingIssuer(position: index + 1, issuer: issuerName(current)) }
            guard X509_check_issued(certificate(index + 1), current) == X509_V_OK else {
                return .outOfOrder(position: index + 1)
            }
        }
        return .complete
    }

    /// A root (or a self-signed leaf): nothing to add above it.
    private func isSelfIssued(_ certificate: OpaquePointer) -> Bool {
        X509_NAME_cmp(X509_get_subject_name(certificate), X509_get_issuer_name(certificate)) == 0
    }

    private func isIssuedByAnchor(_ certificate: OpaquePointer) -> Bool {
        let key = issuerKey(certificate)
        if let known = issuedByAnchor[key] { return known }
        let found = trustAnchors.issued(certificate)
        issuedByAnchor[key] = found
        return found
    }

    private func issuerKey(_ certificate: OpaquePointer) -> [UInt8] {
        var key: [UInt8] = []
        var der: UnsafePointer<UInt8>?
        var length = 0
        if X509_NAME_get0_der(X509_get_issuer_name(certificate), &der, &length) == 1, let der {
            key.append(contentsOf: UnsafeBufferPointer(start: der, count: length))
        }
        if let keyID = X509_get0_authority_key_id(certificate), let bytes = ASN1_STRING_get0_data(keyID) {
            key.append(contentsOf: UnsafeBufferPointer(start: bytes, count: Int(ASN1_STRING_length(keyID))))
        }
        return key
    }

    private func issuerName(_ certificate: OpaquePointer) -> String {
        guard let text = X509_NAME_oneline(X509_get_issuer_name(certificate), nil, 0) else { return "unknown" }
        defer { shim_OPENSSL_free(text) }
        return String(cString: text)
    }
}
