import ACME
import FileSystem
import Glibc
import TLS

/// One issued certificate on disk: `<certificates>/<host>/fullchain.pem` and `privkey.pem` (0600), the certbot
/// layout, so the server loads it like any operator folder and `check --certs` reads it too.
enum IssuedCertificateFolder {
    /// Writes the key, then the chain (a reload between the two sees a mismatched pair and keeps the previous
    /// one), and loads the pair back as the server will: what is returned is what will serve.
    static func install(_ issued: IssuedCertificate, host: String, in root: String) throws -> CertificateKeyPair {
        try makeDirectory(root, mode: 0o700)
        let folder = joinPath(root, host)
        try makeDirectory(folder, mode: 0o700)
        let key = joinPath(folder, "privkey.pem"), chain = joinPath(folder, "fullchain.pem")
        try writeDurably(issued.privateKeyPEM, to: key, mode: 0o600)
        try writeDurably(issued.fullChainPEM, to: chain, mode: 0o644)
        return try CertificateKeyPair(certificatePath: chain, keyPath: key)
    }
}
