import FoundationEssentials
import TLS

extension ACMEClient {
    /// One order for `name` (RFC 8555 §7.4) answered by TLS-ALPN-01 (RFC 8737): new order, the authorization's
    /// challenge installed on `responder` and announced, the authorization polled, finalize with a CSR for a fresh
    /// P-256 key, the order polled, the chain downloaded. `progress` gets one line per step. The challenge
    /// certificate is removed from `responder` however the order ends.
    public func issueCertificate(for name: String, responder: ChallengeResponder,
                                 progress: (String) -> Void) throws -> IssuedCertificate {
        let directory = try directory()
        let orderRequest = ["identifiers": [ACMEIdentifier(type: "dns", value: name)]]
        let created = try post(directory.newOrder, payload: try JWS.encoder.encode(orderRequest))
        guard let orderURL = created.headers["Location"] else {
            throw ACMEError("newOrder for \(name)", "the CA sent no Location header (HTTP \(created.status))")
        }
        var order: ACMEOrder = try decode(created, "the order \(orderURL)")
        progress("order \(orderURL) for \(name): \(order.status)")

        for authorizationURL in order.authorizations {
            try authorize(authorizationURL, name: name, responder: responder, progress: progress)
        }
        order = try poll(orderURL, "the order \(orderURL)") { (order: ACMEOrder) in order.status != "pending" }
        try requireStatus(order, ["ready", "processing", "valid"], url: orderURL)

        let request = try CertificateSigningRequest.make(dnsName: name)
        if order.status == "ready" {
            let finalized = try post(order.finalize, payload: try JWS.encoder.encode(["csr": Base64URL.encode(request.der)]))
            order = try decode(finalized, "the order \(orderURL)")
            progress("finalized \(orderURL) with a new P-256 key: \(order.status)")
        }
        order = try poll(orderURL, "the order \(orderURL)") { (order: ACMEOrder) in
            order.status != "processing" && order.status != "ready"
        }
        try requireStatus(order, ["valid"], url: orderURL)
        guard let certificateURL = order.certificate else {
            throw ACMEError("order \(orderURL)", "valid but without a certificate URL")
        }
        let download = try post(certificateURL, payload: nil, accept: "application/pem-certificate-chain")
        let chain = String(decoding: download.body, as: UTF8.self)
        let count = chain.ranges(of: "-----BEGIN CERTIFICATE-----").count
        guard count > 0 else {
            throw ACMEError("downloading \(certificateURL)", "no PEM certificate in the answer (HTTP \(download.status))")
        }
        progress("downloaded \(certificateURL): \(count) certificate\(count == 1 ? "" : "s")")
        return IssuedCertificate(fullChainPEM: chain, privateKeyPEM: request.privateKeyPEM)
    }

    /// Answers one authorization with its tls-alpn-01 challenge, unless the CA already holds it valid (it reuses
    /// recent authorizations for the same account and name).
    private func authorize(_ url: String, name: String, responder: ChallengeResponder,
                           progress: (String) -> Void) throws {
        let authorization: ACMEAuthorization = try decode(try post(url, payload: nil), "the authorization \(url)")
        if authorization.status == "valid" {
            progress("authorization \(url) for \(name): already valid")
            return
        }
        guard authorization.status == "pending" else {
            throw ACMEError("authorization \(url) for \(name)", "is \(authorization.status), cannot be answered")
        }
        guard let challenge = authorization.challenges.first(where: { $0.type == ACMEChallenge.tlsALPN01 }),
              let token = challenge.token
        else {
            let offered = authorization.challenges.map(\.type).joined(separator: ", ")
            throw ACMEError("authorization \(url) for \(name)", "no tls-alpn-01 challenge (offered: \(offered))")
        }
        let challengeName = authorization.identifier.value
        let certificate = try ChallengeCertificate.make(name: challengeName,
                                                        keyAuthorization: keyAuthorization(token: token))
        responder.install(name: challengeName, certificate: certificate)
        defer { responder.remove(name: challengeName) }
        // The challenge's payload is an empty object, not an empty payload (RFC 8555 §7.5.1).
        _ = try post(challenge.url, payload: Data("{}".utf8))
        progress("challenge \(challenge.url) for \(challengeName): tls-alpn-01 ready")

        let settled = try poll(url, "the authorization \(url)") { (authorization: ACMEAuthorization) in
            authorization.status != "pending"
        }
        guard settled.status == "valid" else {
            let failed = settled.challenges.first { $0.type == ACMEChallenge.tlsALPN01 }
            if let document = failed?.error {
                throw document.problem(status: 0, retryAfter: nil, url: failed?.url ?? url)
            }
            throw ACMEError("authorization \(url) for \(challengeName)", "is \(settled.status)")
        }
        progress("authorization \(url) for \(challengeName): valid")
    }

    /// RFC 8555 §8.1: the token and the account key's thumbprint.
    public func keyAuthorization(token: String) -> String {
        token + "." + accountKey.thumbprint
    }

    private func requireStatus(_ order: ACMEOrder, _ expected: Set<String>, url: String) throws {
        guard expected.contains(order.status) else {
            if let document = order.error { throw document.problem(status: 0, retryAfter: nil, url: url) }
            throw ACMEError("order \(url)", "is \(order.status)")
        }
    }
}
