internal import COpenSSL

extension X509Certificate {
    /// The certificate's DER encoding.
    func der() throws -> [UInt8] {
        try MemoryBIO.bytes("encoding a certificate") { i2d_X509_bio($0, pointer) }
    }
}
