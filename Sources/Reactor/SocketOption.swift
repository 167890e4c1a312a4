import FileSystem
import Glibc

/// Integer socket options, with failures named after the option.
public enum SocketOption {
    static func set(_ descriptor: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ label: String) throws {
        var value = value
        guard setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SystemError("setsockopt \(label)")
        }
    }

    /// TCP_CORK: partial segments wait until the socket is shut down or closed, so a connection's last response,
    /// its close_notify and the FIN leave as one segment instead of three.
    public static func holdPartialSegments(_ descriptor: Int32) {
        try? set(descriptor, Int32(IPPROTO_TCP), TCP_CORK, 1, "TCP_CORK")
    }
}
