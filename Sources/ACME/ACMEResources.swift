/// The JSON objects of RFC 8555 §7.1 that the client reads; only the fields it uses.
struct ACMEDirectory: Decodable, Sendable {
    let newNonce: String
    let newAccount: String
    let newOrder: String
    /// RFC 9773 (ARI); absent on servers without it (pebble 2.4).
    let renewalInfo: String?
}

struct ACMEIdentifier: Codable, Sendable {
    let type: String
    let value: String
}

struct ACMEAccount: Decodable, Sendable {
    let status: String
}

struct ACMEOrder: Decodable, Sendable {
    let status: String
    let authorizations: [String]
    let finalize: String
    let certificate: String?
    let error: ProblemDocument?
}

struct ACMEAuthorization: Decodable, Sendable {
    let status: String
    let identifier: ACMEIdentifier
    let challenges: [ACMEChallenge]
}

struct ACMEChallenge: Decodable, Sendable {
    static let tlsALPN01 = "tls-alpn-01"

    let type: String
    let url: String
    let status: String
    let token: String?
    let error: ProblemDocument?
}

/// RFC 7807 as ACME uses it (RFC 8555 §6.7), subproblems included.
struct ProblemDocument: Decodable, Sendable {
    let type: String?
    let detail: String?
    let status: Int?
    let subproblems: [ProblemDocument]?
    let identifier: ACMEIdentifier?

    /// `detail`, then each subproblem as "identifier: type: detail".
    var fullDetail: String {
        var parts = [detail ?? ""]
        for sub in subproblems ?? [] {
            let prefix = sub.identifier.map { "\($0.value): " } ?? ""
            parts.append("\(prefix)\(sub.type ?? "?"): \(sub.detail ?? "")")
        }
        return parts.filter { !$0.isEmpty }.joined(separator: "; ")
    }

    func problem(status fallbackStatus: Int, retryAfter: Int?, url: String) -> ACMEProblem {
        ACMEProblem(type: type ?? "about:blank", detail: fullDetail, status: status ?? fallbackStatus,
                    retryAfter: retryAfter, url: url)
    }
}

/// RFC 9773 §4.2: the window in which the CA would like the certificate renewed.
struct ACMERenewalInfo: Decodable, Sendable {
    struct Window: Decodable, Sendable {
        let start: String
        let end: String
    }
    let suggestedWindow: Window
    let explanationURL: String?
}
