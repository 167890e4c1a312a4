/// Reports per minute from one client address: a token bucket per address (a minute's worth of burst, refilled
/// continuously). Pure: the caller passes the time. Buckets that have refilled are dropped, so addresses that
/// come once do not accumulate.
struct ClientRateLimiter {
    let perMinute: Int
    private var buckets: [[UInt8]: (tokens: Double, updated: Int)] = [:]

    init(perMinute: Int) { self.perMinute = perMinute }

    /// Whether one more report from `client` is admitted at `now` (milliseconds).
    mutating func admit(_ client: [UInt8], now: Int) -> Bool {
        guard perMinute > 0 else { return true }
        if buckets.count > 10_000 { prune(now: now) }
        let capacity = Double(perMinute)
        var bucket = buckets[client] ?? (capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + Double(now - bucket.updated) * capacity / 60_000)
        bucket.updated = now
        let admitted = bucket.tokens >= 1
        if admitted { bucket.tokens -= 1 }
        buckets[client] = bucket
        return admitted
    }

    private mutating func prune(now: Int) {
        let capacity = Double(perMinute)
        buckets = buckets.filter { $0.value.tokens + Double(now - $0.value.updated) * capacity / 60_000 < capacity }
    }
}
