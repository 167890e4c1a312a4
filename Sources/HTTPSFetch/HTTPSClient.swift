internal import CCurl
import FoundationEssentials

/// A blocking HTTPS client over one libcurl easy handle, reused for every request so the connection to the CA
/// stays open between the dozen requests of an order. Not thread-safe: one request at a time (ACMEClient locks;
/// `verify` makes one per domain).
public final class HTTPSClient {
    public struct Configuration: Sendable {
        public enum Trust: Sendable, Equatable {
            /// libcurl's default bundle (the system's roots).
            case system
            /// The system's roots plus this PEM file (`--acme-trust`: pebble's root in tests, a private CA).
            case systemAnd(String)
            /// This PEM file alone (`verify --ca-file`): the test's CA and nothing else.
            case only(String)
        }

        public var trust: Trust
        public var connectTimeoutMilliseconds: Int
        public var totalTimeoutMilliseconds: Int
        /// Anything bigger is refused (ACME answers are small; an MTA-STS policy is at most 64 KiB).
        public var maximumBodyBytes: Int
        public var userAgent: String
        /// TLS 1.2 or later, as RFC 8461 senders require of the policy host.
        public var requiresTLS12: Bool
        /// `host:port:address` entries (CURLOPT_RESOLVE): connect where our own resolver said, not where the
        /// system's would (`verify --resolver`).
        public var pinnedAddresses: [String]

        public init(trust: Trust = .system, connectTimeoutMilliseconds: Int = 10_000,
                    totalTimeoutMilliseconds: Int = 30_000, maximumBodyBytes: Int = 1 << 20,
                    userAgent: String = "mta-sts-host/1", requiresTLS12: Bool = false,
                    pinnedAddresses: [String] = []) {
            self.trust = trust
            self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
            self.totalTimeoutMilliseconds = totalTimeoutMilliseconds
            self.maximumBodyBytes = maximumBodyBytes
            self.userAgent = userAgent
            self.requiresTLS12 = requiresTLS12
            self.pinnedAddresses = pinnedAddresses
        }
    }

    /// libcurl is loaded on first use (see Sources/CCurl), then initialised: curl_global_init is not thread-safe in
    /// every libcurl, and Swift runs a static initialiser exactly once.
    private static let globalInit: Result<Void, HTTPSClientError> = {
        var error = [CChar](repeating: 0, count: 256)
        guard ccurl_load(&error, error.count) == 0 else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(HTTPSClientError(method: "", url: "",
                                             reason: "cannot load libcurl (Debian: apt install libcurl4): \(reason)"))
        }
        let code = ccurl_global_init(Int(CURL_GLOBAL_DEFAULT))
        guard code == CURLE_OK else {
            return .failure(HTTPSClientError(method: "", url: "", reason: "curl_global_init: \(message(code))"))
        }
        return .success(())
    }()

    private let configuration: Configuration
    private let handle: UnsafeMutableRawPointer
    /// The system bundle followed by the extra one, when an extra one is configured (see `trustedCertificates`).
    private let trustBlob: [UInt8]?

    public init(configuration: Configuration) throws {
        try Self.globalInit.get()
        guard let handle = ccurl_easy_init() else {
            throw HTTPSClientError(method: "", url: "", reason: "curl_easy_init failed")
        }
        self.handle = handle
        self.configuration = configuration
        do {
            if case .systemAnd(let path) = configuration.trust {
                trustBlob = try Self.trustedCertificates(adding: path, handle: handle)
            } else {
                trustBlob = nil
            }
        } catch {
            ccurl_easy_cleanup(handle)
            throw error
        }
    }

    deinit { ccurl_easy_cleanup(handle) }

    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        // Reset drops every option of the last request but keeps the open connection and the TLS session cache.
        ccurl_easy_reset(handle)
        let collector = ResponseCollector(maximumBodyBytes: configuration.maximumBodyBytes)
        let collectorPointer = Unmanaged.passRetained(collector)
        defer { collectorPointer.release() }
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { ccurl_slist_free_all(headerList) }
        var pinnedList: UnsafeMutablePointer<curl_slist>? = nil
        defer { ccurl_slist_free_all(pinnedList) }
        for entry in configuration.pinnedAddresses {
            guard let appended = ccurl_slist_append(pinnedList, entry) else {
                throw failure(request, "cannot allocate the address list")
            }
            pinnedList = appended
        }
        for (name, value) in request.headers {
            guard let appended = ccurl_slist_append(headerList, "\(name): \(value)") else {
                throw failure(request, "cannot allocate the header list")
            }
            headerList = appended
        }
        var errorText = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code = try errorText.withUnsafeMutableBufferPointer { errorBuffer -> CURLcode in
            try configure(request, headers: headerList, pinned: pinnedList, collector: collectorPointer.toOpaque(),
                          errorBuffer: errorBuffer.baseAddress)
            return ccurl_easy_perform(handle)
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorText.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw failure(request, collector.overflowed
                          ? "response body larger than \(configuration.maximumBodyBytes) bytes"
                          : detail.isEmpty ? Self.message(code) : detail)
        }
        var status = 0
        guard ccurl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK else {
            throw failure(request, "no response code")
        }
        return HTTPResponse(status: status, headers: HTTPResponseHeaders(collector.headers), body: collector.body)
    }

    private func configure(_ request: HTTPRequest, headers: UnsafeMutablePointer<curl_slist>?,
                           pinned: UnsafeMutablePointer<curl_slist>?,
                           collector: UnsafeMutableRawPointer, errorBuffer: UnsafeMutablePointer<CChar>?) throws {
        func set(_ result: CURLcode, _ option: String) throws {
            guard result == CURLE_OK else { throw failure(request, "\(option): \(Self.message(result))") }
        }
        try set(ccurl_easy_setopt_string(handle, CURLOPT_URL, request.url), "CURLOPT_URL")
        // Only HTTPS, also for redirects (which are not followed anyway): nothing is fetched in the clear.
        try set(ccurl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "https"), "CURLOPT_PROTOCOLS_STR")
        try set(ccurl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL")
        try set(ccurl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeoutMilliseconds),
                "CURLOPT_CONNECTTIMEOUT_MS")
        try set(ccurl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, configuration.totalTimeoutMilliseconds),
                "CURLOPT_TIMEOUT_MS")
        if configuration.requiresTLS12 {
            try set(ccurl_easy_setopt_long(handle, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2)),
                    "CURLOPT_SSLVERSION")
        }
        if pinned != nil {
            try set(ccurl_easy_setopt_slist(handle, CURLOPT_RESOLVE, pinned), "CURLOPT_RESOLVE")
        }
        if case .only(let path) = configuration.trust {
            try set(ccurl_easy_setopt_string(handle, CURLOPT_CAINFO, path), "CURLOPT_CAINFO")
            // Debian's libcurl also looks in /etc/ssl/certs; `.only` means this file alone.
            try set(ccurl_easy_setopt_string(handle, CURLOPT_CAPATH, nil), "CURLOPT_CAPATH")
        }
        try set(ccurl_easy_setopt_string(handle, CURLOPT_USERAGENT, configuration.userAgent), "CURLOPT_USERAGENT")
        try set(ccurl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
        try set(ccurl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headers), "CURLOPT_HTTPHEADER")
        try set(ccurl_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, ResponseCollector.bodyCallback), "CURLOPT_WRITEFUNCTION")
        try set(ccurl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, collector), "CURLOPT_WRITEDATA")
        try set(ccurl_easy_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION,
                                                           ResponseCollector.headerCallback),
                "CURLOPT_HEADERFUNCTION")
        try set(ccurl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, collector), "CURLOPT_HEADERDATA")
        if var trustBlob {
            try trustBlob.withUnsafeMutableBytes { bytes in
                // CURL_BLOB_COPY: libcurl keeps its own copy, so the pointer need not outlive this call.
                var blob = curl_blob(data: bytes.baseAddress, len: bytes.count, flags: UInt32(CURL_BLOB_COPY))
                try set(ccurl_easy_setopt_blob(handle, CURLOPT_CAINFO_BLOB, &blob), "CURLOPT_CAINFO_BLOB")
            }
        }
        switch request.method {
        case .get:
            try set(ccurl_easy_setopt_long(handle, CURLOPT_HTTPGET, 1), "CURLOPT_HTTPGET")
        case .head:
            try set(ccurl_easy_setopt_long(handle, CURLOPT_NOBODY, 1), "CURLOPT_NOBODY")
        case .post:
            try set(ccurl_easy_setopt_long(handle, CURLOPT_POST, 1), "CURLOPT_POST")
            try set(ccurl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)),
                    "CURLOPT_POSTFIELDSIZE_LARGE")
            // COPYPOSTFIELDS copies the bytes now (never reads stdin for an empty body, as a NULL POSTFIELDS would).
            let body = request.body.isEmpty ? [UInt8(0)] : request.body
            try body.withUnsafeBytes { bytes in
                try set(ccurl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress)),
                        "CURLOPT_COPYPOSTFIELDS")
            }
        }
    }

    private func failure(_ request: HTTPRequest, _ reason: String) -> HTTPSClientError {
        HTTPSClientError(method: request.method.rawValue, url: request.url, reason: reason)
    }

    private static func message(_ code: CURLcode) -> String { String(cString: ccurl_easy_strerror(code)) }

    /// CURLOPT_CAINFO would replace the system's roots with the extra bundle. `--acme-trust` adds to them
    /// instead (a private ACME CA reached through a public proxy, pebble beside a public directory), so the blob
    /// handed to libcurl is libcurl's own default bundle followed by the extra file.
    private static func trustedCertificates(adding path: String, handle: UnsafeMutableRawPointer) throws -> [UInt8] {
        guard let extra = FileManager.default.contents(atPath: path), !extra.isEmpty else {
            throw HTTPSClientError(method: "", url: "", reason: "cannot read the trust bundle \(path)")
        }
        var systemBundle: [UInt8] = []
        var defaultPath: UnsafeMutablePointer<CChar>? = nil
        if ccurl_easy_getinfo_string(handle, CURLINFO_CAINFO, &defaultPath) == CURLE_OK, let defaultPath,
           let bytes = FileManager.default.contents(atPath: String(cString: defaultPath)) {
            systemBundle = Array(bytes) + [UInt8(ascii: "\n")]
        }
        return systemBundle + Array(extra)
    }
}
