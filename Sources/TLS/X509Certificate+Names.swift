internal import COpenSSL

extension X509Certificate {
    /// The DNS names of the subjectAltName extension, lower-cased, in their order; wildcards kept as `*.parent`.
    /// Other kinds of names (IP addresses, e-mail addresses, URIs) and empty names are skipped; a certificate
    /// without the extension (or with two of them, which OpenSSL refuses to pick from) has none.
    var dnsNames: [String] {
        guard let extensionValue = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else { return [] }
        let names = OpaquePointer(extensionValue)
        defer { GENERAL_NAMES_free(names) }
        var found: [String] = []
        for index in 0..<shim_sk_GENERAL_NAME_num(names) {
            guard let name = shim_sk_GENERAL_NAME_value(names, index), name.pointee.type == GEN_DNS,
                  let text = name.pointee.d.dNSName, let bytes = ASN1_STRING_get0_data(text)
            else { continue }
            let length = Int(ASN1_STRING_length(text))
            guard length > 0 else { continue }
            found.append(String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self).lowercased())
        }
        return found
    }
}
