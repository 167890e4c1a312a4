/// The open connections of one event loop, indexed by descriptor: descriptors are small and reused, so a slot per
/// descriptor number (8 bytes) costs less than a hash-table entry per connection (about 24) and needs no hashing.
struct ConnectionTable {
    private var slots: [Connection?] = []
    /// With a per-client limit only: the address each connection counts against, by descriptor.
    private var addresses: [ClientAddress?] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func insert(_ connection: Connection, address: ClientAddress?) {
        let index = Int(connection.descriptor)
        if index >= slots.count { slots.append(contentsOf: repeatElement(nil, count: index + 1 - slots.count)) }
        if slots[index] == nil { count += 1 }
        slots[index] = connection
        if let address {
            if index >= addresses.count {
                addresses.append(contentsOf: repeatElement(nil, count: index + 1 - addresses.count))
            }
            addresses[index] = address
        }
    }

    /// Forgets the connection on `descriptor`; returns the client address it counted against, if any.
    mutating func remove(_ descriptor: Int32) -> ClientAddress? {
        let index = Int(descriptor)
        guard index < slots.count, slots[index] != nil else { return nil }
        slots[index] = nil
        count -= 1
        guard index < addresses.count, let address = addresses[index] else { return nil }
        addresses[index] = nil
        return address
    }

    /// Visits every connection open when the call began; `body` may close any of them (a closed one is still
    /// visited once, and must ignore the visit).
    func forEach(_ body: (Connection) -> Void) {
        for case let connection? in slots { body(connection) }
    }
}
