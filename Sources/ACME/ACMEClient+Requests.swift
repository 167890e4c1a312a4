import FoundationEssentials
import HTTPSFetch

extension ACMEClient {
    /// A signed POST (RFC 8555 §6.2) with `payload` (nil: POST-as-GET), signed with the account's `kid`, or with
    /// the `jwk` for newAccount. A badNonce answer is retried with the nonce it carried; any other problem
    /// document is thrown as `ACMEProblem`.
    func post(_ url: String, payload: Data?, useJWK: Bool = false, accept: String? = nil) throws -> HTTPResponse {
        let keyID = useJWK ? nil : try accountURL()
        var attempt = 0
        while true {
            attempt += 1
            let body = try JWS.sign(payload: payload.map { Array($0) }, url: url, nonce: try nonce(),
                                    key: accountKey, keyID: keyID)
            var request = HTTPRequest(method: .post, url: url, body: body)
            request.headers.append((name: "Content-Type", value: "application/jose+json"))
            if let accept { request.headers.append((name: "Accept", value: accept)) }
            let response = try send(request)
            guard response.status >= 400 else { return response }
            let problem = self.problem(in: response, url: url)
            if problem.type == ACMEProblem.badNonce, attempt < Self.badNonceAttempts {
                state.withLock { $0.badNonceRetries += 1 }
                continue
            }
            throw problem
        }
    }

    /// Sends one request and keeps the Replay-Nonce of its answer (error answers carry one too).
    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        let response = try wire.withLock { _ in try transport.send(request) }
        if let nonce = response.headers["Replay-Nonce"], !nonce.isEmpty {
            state.withLock { $0.nonces.append(nonce) }
        }
        return response
    }

    /// A nonce saved from an earlier answer, else a fresh one from newNonce (HEAD, RFC 8555 §7.2).
    private func nonce() throws -> String {
        if let saved = state.withLock({ $0.nonces.popLast() }) { return saved }
        let newNonce = try directory().newNonce
        let response = try wire.withLock { _ in try transport.send(HTTPRequest(method: .head, url: newNonce)) }
        guard response.status == 200 || response.status == 204, let nonce = response.headers["Replay-Nonce"],
              !nonce.isEmpty
        else { throw ACMEError("HEAD \(newNonce)", "no Replay-Nonce (HTTP \(response.status))") }
        return nonce
    }

    private func accountURL() throws -> String {
        if let known = state.withLock({ $0.accountURL }) { return known }
        return try account(existingURL: nil)
    }

    /// The answer's problem document; a body that is not one still becomes a problem, with the text as detail.
    func problem(in response: HTTPResponse, url: String) -> ACMEProblem {
        let retryAfter = response.headers["Retry-After"].flatMap {
            TimestampParsing.retryAfter($0, now: clock.wallClock())
        }
        if let document = try? JSONDecoder().decode(ProblemDocument.self, from: Data(response.body)),
           document.type != nil {
            return document.problem(status: response.status, retryAfter: retryAfter, url: url)
        }
        let text = String(decoding: response.body.prefix(200), as: UTF8.self)
        return ACMEProblem(type: "about:blank", detail: text, status: response.status, retryAfter: retryAfter, url: url)
    }

    /// Polls `url` (POST-as-GET) until `isSettled` says so, sleeping as `PollSchedule` says in between.
    func poll<T: Decodable>(_ url: String, _ what: String, until isSettled: (T) -> Bool) throws -> T {
        var schedule = PollSchedule(now: clock.now())
        while true {
            let response = try post(url, payload: nil)
            let object: T = try decode(response, what)
            if isSettled(object) { return object }
            let retryAfter = response.headers["Retry-After"].flatMap {
                TimestampParsing.retryAfter($0, now: clock.wallClock())
            }
            guard let delay = schedule.nextDelay(retryAfter: retryAfter, now: clock.now()) else {
                throw ACMEError("waiting for \(what)", "still not settled after \(Int(PollSchedule.defaultTimeoutSeconds)) s")
            }
            clock.sleep(delay)
        }
    }
}
