/// Reads a TSIG key as operators have it: BIND's key statement, as `tsig-keygen` and `ddns-confgen` write it,
///
///     key "mta-sts-host" {
///         algorithm hmac-sha256;
///         secret "base64...";
///     };
///
/// or the one-line `algorithm:name:secret` that `nsupdate -y` and Knot's `knsupdate` take. Pure: the caller reads
/// the file. Comments (`#`, `//`, `/* */`) are skipped; the first key statement is used.
public enum TSIGKeyFile {
    public static func parse(_ text: String) throws(TSIGKeyFileError) -> TSIGKey {
        let tokens = try tokenize(text)
        if tokens.isEmpty { throw TSIGKeyFileError("no key in the file") }
        if tokens.count == 1, case .word(let line) = tokens[0], line.contains(":") { return try colonForm(line) }
        var index = 0
        func next() -> Token? {
            defer { index += 1 }
            return index < tokens.count ? tokens[index] : nil
        }
        guard next() == .word("key") else { throw TSIGKeyFileError("expected `key \"name\" { ... };`") }
        guard let name = next()?.text, !name.isEmpty else { throw TSIGKeyFileError("expected the key's name after `key`") }
        guard next() == .punctuation("{") else { throw TSIGKeyFileError("expected `{` after the key's name") }
        var algorithmName: String?
        var secret: String?
        while let token = next(), token != .punctuation("}") {
            guard case .word(let field) = token, let value = next()?.text, next() == .punctuation(";") else {
                throw TSIGKeyFileError("key \(name): expected `algorithm NAME;` and `secret \"BASE64\";`")
            }
            switch field.lowercased() {
            case "algorithm": algorithmName = value
            case "secret": secret = value
            default: throw TSIGKeyFileError("key \(name): unknown field `\(field)`")
            }
        }
        guard let algorithmName else { throw TSIGKeyFileError("key \(name): no algorithm") }
        guard let secret, !secret.isEmpty else { throw TSIGKeyFileError("key \(name): no secret") }
        return TSIGKey(name: name, algorithm: try algorithm(algorithmName), secret: try checkedSecret(secret))
    }

    private static func colonForm(_ line: String) throws(TSIGKeyFileError) -> TSIGKey {
        let parts = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 2: return TSIGKey(name: parts[0], algorithm: .hmacSHA256, secret: try checkedSecret(parts[1]))
        case 3: return TSIGKey(name: parts[1], algorithm: try algorithm(parts[0]), secret: try checkedSecret(parts[2]))
        default: throw TSIGKeyFileError("expected `algorithm:name:secret`")
        }
    }

    private static func algorithm(_ name: String) throws(TSIGKeyFileError) -> TSIGKey.Algorithm {
        var lower = name.lowercased()
        if lower.hasSuffix(".") { lower.removeLast() }
        if lower == "hmac-md5.sig-alg.reg.int" { return .hmacMD5 }
        guard let algorithm = TSIGKey.Algorithm(rawValue: lower) else {
            let known = TSIGKey.Algorithm.allCases.map(\.rawValue).joined(separator: ", ")
            throw TSIGKeyFileError("algorithm \(name) is not supported (use one of \(known); hmac-sha256 is the usual)")
        }
        return algorithm
    }

    /// A secret that is not base64 would only fail later, as BADSIG from the server: say so now.
    private static func checkedSecret(_ secret: String) throws(TSIGKeyFileError) -> String {
        let base64 = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
        guard !secret.isEmpty, secret.allSatisfy(base64.contains), secret.count % 4 == 0 else {
            throw TSIGKeyFileError("the secret is not base64")
        }
        return secret
    }

    enum Token: Equatable {
        case word(String)
        case quoted(String)
        case punctuation(Character)

        var text: String? {
            switch self {
            case .word(let text), .quoted(let text): text
            case .punctuation: nil
            }
        }
    }

    static func tokenize(_ text: String) throws(TSIGKeyFileError) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let following = index + 1 < characters.count ? characters[index + 1] : nil
            if character.isWhitespace {
                index += 1
            } else if character == "#" || (character == "/" && following == "/") {
                while index < characters.count, characters[index] != "\n" { index += 1 }
            } else if character == "/" && following == "*" {
                index += 2
                while index + 1 < characters.count, !(characters[index] == "*" && characters[index + 1] == "/") { index += 1 }
                index += 2
            } else if "{};".contains(character) {
                tokens.append(.punctuation(character))
                index += 1
            } else if character == "\"" {
                guard let close = characters[(index + 1)...].firstIndex(of: "\"") else {
                    throw TSIGKeyFileError("a quoted string is not closed")
                }
                tokens.append(.quoted(String(characters[(index + 1)..<close])))
                index = close + 1
            } else {
                let start = index
                while index < characters.count, !characters[index].isWhitespace, !"{};\"".contains(characters[index]) {
                    index += 1
                }
                tokens.append(.word(String(characters[start..<index])))
            }
        }
        return tokens
    }
}

public struct TSIGKeyFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
