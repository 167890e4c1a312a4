internal import COpenSSL

/// The ARI certificate identifier (RFC 9773 §4.1): base64url(authorityKeyIdentifier's keyIdentifier) "."
/// base64url(the serial number's DER content octets, sign byte included).
public enum RenewalCertificateIdentifier {
    /// For the first certificate in `certificatePEM` (a full chain starts with the leaf).
    public static func make(certificatePEM: String) throws -> String {
        ERR_clear_error()
        guard let certificate = X509Certificate(pem: certificatePEM) else {
            throw TLSError.drain("reading the certificate for its renewal identifier")
        }
        guard let keyIdentifier = X509_get0_authority_key_id(certificate.pointer),
              let keyBytes = ASN1_STRING_get0_data(keyIdentifier)
        else { throw TLSError("the certificate has no authorityKeyIdentifier keyIdentifier", reasons: []) }
        let authority = Array(UnsafeBufferPointer(start: keyBytes, count: Int(ASN1_STRING_length(keyIdentifier))))
        return Base64URL.encode(authority) + "." + Base64URL.encode(try serialContent(certificate))
    }

    /// i2d of the INTEGER without its tag and length: 0x00 stays in front of a serial whose top bit is set.
    private static func serialContent(_ certificate: X509Certificate) throws -> [UInt8] {
        let serial = X509_get0_serialNumber(certificate.pointer)
        let length = i2d_ASN1_INTEGER(serial, nil)
        guard length > 2 else { throw TLSError.drain("encoding the serial number") }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_ASN1_INTEGER(serial, &cursor)
        }
        guard written == length else { throw TLSError.drain("encoding the serial number") }
        // Short form (< 128 content octets) is one length byte; long form is 0x80 | count, then count bytes.
        let headerLength = der[1] < 0x80 ? 2 : 2 + Int(der[1] & 0x7f)
        return Array(der.dropFirst(headerLength))
    }
}
