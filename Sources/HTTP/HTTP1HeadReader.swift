import Glibc
import MTASTS

/// Reads a complete request head (without its final empty line) into an `HTTPRequestHead`.
enum HTTP1HeadReader {
    enum Outcome: Equatable { case success(HTTPRequestHead), failure(HTTPStatus) }

    static func read(_ head: UnsafeRawBufferPointer, limits: HTTP1RequestParser.Limits) -> Outcome {
        var lines = HTTP1Lines(head)
        guard let requestLine = lines.next() else { return .failure(.badRequest) }
        guard requestLine.count <= limits.maxRequestLineBytes else { return .failure(.uriTooLong) }
        let parsedLine = readRequestLine(requestLine)
        guard case .success(var request) = parsedLine else { return parsedLine }
        var fields = HeaderFields()
        while let line = lines.next() {
            guard let status = fields.absorb(line) else { continue }
            return .failure(status)
        }
        if lines.failed { return .failure(.badRequest) }
        if let status = fields.apply(to: &request) { return .failure(status) }
        return .success(request)
    }

    /// `METHOD SP request-target SP HTTP/1.x`. Read as bytes: what every sender sends (GET, an origin-form target,
    /// HTTP/1.1) makes one String at most, none for the policy path.
    private static func readRequestLine(_ line: UnsafeRawBufferPointer) -> Outcome {
        guard let firstSpace = line.firstIndex(of: ASCII.space),
              let secondSpace = line[(firstSpace + 1)...].firstIndex(of: ASCII.space),
              !line[(secondSpace + 1)...].contains(ASCII.space)
        else { return .failure(.badRequest) }
        let methodBytes = line[..<firstSpace]
        let target = line[(firstSpace + 1)..<secondSpace]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(isTokenByte),
              !target.isEmpty, target.allSatisfy({ $0 > 32 && $0 < 127 })
        else { return .failure(.badRequest) }

        let version: HTTPRequestHead.Version
        let versionBytes = line[(secondSpace + 1)...]
        if equal(versionBytes, http11) {
            version = .http11
        } else if equal(versionBytes, http10) {
            version = .http10
        } else {
            let other = String(decoding: versionBytes, as: UTF8.self)
            return .failure(other.hasPrefix("HTTP/") && other.count == 8 ? .versionNotSupported : .badRequest)
        }
        let method: HTTPRequestHead.Method =
            if equal(methodBytes, get) { .get }
            else if equal(methodBytes, head) { .head }
            else { .other(String(decoding: methodBytes, as: UTF8.self)) }
        guard let (authority, path) = splitTarget(target),
              path != "*" || method == .other("OPTIONS")  // asterisk-form is for OPTIONS only (RFC 9112 §3.2.4)
        else {
            return .failure(.badRequest)
        }
        var request = HTTPRequestHead(method: method, path: path, version: version,
                                      keepAlive: version == .http11)
        if let authority {
            guard let host = HostName.normalize(authority) else { return .failure(.badRequest) }
            request.host = host
        }
        return .success(request)
    }

    /// Origin-form, what every sender uses: the path is the target up to its query or fragment, and the policy
    /// path is the literal (no allocation, no reference counting). Other forms go through `splitTarget(_: String)`.
    private static func splitTarget(_ target: UnsafeRawBufferPointer.SubSequence) -> (authority: String?, path: String)? {
        guard target.first == UInt8(ascii: "/") else { return splitTarget(String(decoding: target, as: UTF8.self)) }
        let end = target.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? target.endIndex
        let path = target[..<end]
        if equal(path, policyPath) { return (nil, PolicyResponder.policyPath) }
        return (nil, String(decoding: path, as: UTF8.self))
    }

    /// Absolute-form (`https://host/path`) or asterisk-form.
    private static func splitTarget(_ target: String) -> (authority: String?, path: String)? {
        var rest = Substring(target)
        var authority: String?
        let lowercased = target.lowercased()
        if let scheme = ["http://", "https://"].first(where: { lowercased.hasPrefix($0) }) {
            rest = rest.dropFirst(scheme.count)
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            authority = String(rest[..<slash])
            rest = slash == rest.endIndex ? "/" : rest[slash...]
        } else if !(rest.hasPrefix("/") || rest == "*") {
            return nil
        }
        let path = rest.prefix { $0 != "?" && $0 != "#" }
        return (authority, String(path))
    }

    private static let http11 = Array("HTTP/1.1".utf8)
    private static let http10 = Array("HTTP/1.0".utf8)
    private static let get = Array("GET".utf8)
    private static let head = Array("HEAD".utf8)
    private static let policyPath = Array(PolicyResponder.policyPath.utf8)

    /// Bytes as read against a constant, with memcmp: the generic `elementsEqual` showed in the CPU profile of a
    /// keep-alive request, on a path every request takes.
    private static func equal(_ bytes: UnsafeRawBufferPointer.SubSequence, _ constant: [UInt8]) -> Bool {
        guard bytes.count == constant.count else { return false }
        guard !constant.isEmpty, let base = bytes.base.baseAddress else { return true }
        return constant.withUnsafeBytes { memcmp(base + bytes.startIndex, $0.baseAddress!, constant.count) == 0 }
    }
}

/// `tchar` from RFC 9110 §5.6.2.
func isTokenByte(_ byte: UInt8) -> Bool {
    ASCII.isLetterOrDigit(byte) || "!#$%&'*+-.^_`|~".utf8.contains(byte)
}

/// Splits a head into CRLF-terminated lines; a bare CR or LF marks the head as malformed.
struct HTTP1Lines {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private(set) var failed = false

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func next() -> UnsafeRawBufferPointer? {
        guard position < bytes.count, !failed else { return nil }
        var index = position
        while index < bytes.count, bytes[index] != cr, bytes[index] != lf { index += 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[position..<index])
        if index < bytes.count {
            guard bytes[index] == cr, index + 1 < bytes.count, bytes[index + 1] == lf else { failed = true; return nil }
            position = index + 2
        } else {
            position = index
        }
        return line
    }
}
