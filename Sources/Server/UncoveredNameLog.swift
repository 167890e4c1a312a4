/// Which served names, refused for lack of a certificate, have been logged: each once, not once per sender's
/// attempt (a sender retries every few minutes, many senders more often), and again only after it had a
/// certificate and lost it. Only names with a policy count, so an attacker's made-up SNI names never grow it.
struct UncoveredNameLog {
    private var logged: Set<String> = []

    /// A handshake for `host` was refused for want of a certificate; `served`: it has a policy. True when this is
    /// the refusal to log.
    mutating func refused(_ host: String, served: Bool) -> Bool {
        served && logged.insert(host).inserted
    }

    /// A catalog was installed: names now covered (or no longer served) are forgotten, so losing the certificate
    /// again is logged again.
    mutating func catalogInstalled(stillUncovered: (String) -> Bool) {
        logged = logged.filter(stillUncovered)
    }
}
