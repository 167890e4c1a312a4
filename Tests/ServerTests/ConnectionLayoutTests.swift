import Testing
@testable import Server

/// An idle connection's memory is mostly the `Connection` object: 2,000 idle connections are 2,000 of them.
struct ConnectionLayoutTests {
    /// A Swift class's instance size, from its metadata (Linux: no Objective-C fields, so after kind, superclass,
    /// flags and the instance address point).
    static func instanceSize(of type: AnyClass) -> Int {
        Int(unsafeBitCast(type, to: UnsafeRawPointer.self).load(fromByteOffset: 24, as: UInt32.self))
    }

    @Test func connectionFitsInA96ByteHeapBlock() {
        let size = Self.instanceSize(of: Connection.self)
        // glibc adds 8 bytes of header and rounds to 16: 88 bytes is the most that fits in 96.
        #expect(size <= 88, "Connection instance size \(size)")
    }

    @Test func exchangesStaySmall() {
        // Per connection too: 48 and 64-byte heap blocks (up to 40 and 56 bytes).
        #expect(Self.instanceSize(of: HTTP2Exchange.self) <= 40)
        #expect(Self.instanceSize(of: HTTP1Exchange.self) <= 56)
    }
}
