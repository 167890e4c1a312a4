/// What a reload changed, by domain: the one log line per reload says this.
public struct CatalogDiff: Equatable, Sendable {
    public var added: [String] = []
    public var changed: [String] = []
    public var removed: [String] = []

    /// Compares served policy ids by domain.
    public init(before: [String: String], after: [String: String]) {
        for (domain, id) in after {
            if let old = before[domain] {
                if old != id { changed.append(domain) }
            } else {
                added.append(domain)
            }
        }
        removed = before.keys.filter { after[$0] == nil }
        added.sort()
        changed.sort()
        removed.sort()
    }

    public var isEmpty: Bool { added.isEmpty && changed.isEmpty && removed.isEmpty }

    /// `a.test,b.test` or `a.test,b.test,... (12)` when long.
    public static func summary(_ domains: [String], limit: Int = 5) -> String {
        domains.count <= limit ? domains.joined(separator: ",")
            : domains.prefix(limit).joined(separator: ",") + ",... (\(domains.count))"
    }
}

extension Catalog {
    package var servedIDs: [String: String] { Self.servedIDs(policies) }

    /// Policy id by domain: what a reload's diff compares.
    package static func servedIDs(_ policies: [String: LoadedPolicy]) -> [String: String] { policies.mapValues(\.id) }
}
