internal import CCurl
import FoundationEssentials

/// A blocking HTTPS client over one libcurl easy handle, reused for every request so the connection to the CA
/// stays open between the dozen requests of an order. Not thread-safe: one request at a time (ACMEClient locks).
final class HTTPSClient: HTTPTransport {
    struct Configuration: Sendable {
        /// PEM certificates trusted in addition to the system's (`--acme-trust`, pebble's root in tests).
        var trustBundlePath: String?
        var connectTimeoutSeconds = 10
        var totalTimeoutSeconds = 30
        /// ACME answers are small JSON documents and certificate chains; anything bigger is refused.
        var maximumBodyBytes = 1 << 20
        var userAgent = "mta-sts-host-acme/1"
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

    init(configuration: Configuration) throws {
        try Self.globalInit.get()
        guard let handle = ccurl_easy_init() else {
            throw HTTPSClientError(method: "", url: "", reason: "curl_easy_init failed")
        }
        self.handle = handle
        self.configuration = configuration
        do {
            trustBlob = try configuration.trustBundlePath.map { try Self.trustedCertificates(adding: $0, handle: handle) }
        } catch {
            ccurl_easy_cleanup(handle)
            throw error
        }
    }

    deinit { ccurl_easy_cleanup(handle) }

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        // Reset drops every option of the last request but keeps the open connection and the TLS session cache.
        ccurl_easy_reset(handle)
        let collector = ResponseCollector(maximumBodyBytes: configuration.maximumBodyBytes)
        let collectorPointer = Unmanaged.passRetained(collector)
        defer { collectorPointer.release() }
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { ccurl_slist_free_all(headerList) }
        for (name, value) in request.headers {
            guard let appended = ccurl_slist_append(headerList, "\(name): \(value)") else {
                throw failure(request, "cannot allocate the header list")
            }
            headerList = appended
        }
        var errorText = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code = try errorText.withUnsafeMutableBufferPointer { errorBuffer -> CURLcode in
            try configure(request, headers: headerList, collector: collectorPointer.toOpaque(),
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
                           collector: UnsafeMutableRawPointer, errorBuffer: UnsafeMutablePointer<CChar>?) throws {
        func set(_ result: CURLcode, _ option: String) throws {
            guard result == CURLE_OK else { throw failure(request, "\(option): \(Self.message(result))") }
        }
        try set(ccurl_easy_setopt_string(handle, CURLOPT_URL, request.url), "CURLOPT_URL")
        // Only HTTPS, also for redirects (which are not followed anyway): the CA is never reached in the clear.
        try set(ccurl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "https"), "CURLOPT_PROTOCOLS_STR")
        try set(ccurl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL")
        try set(ccurl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, configuration.connectTimeoutSeconds),
                "CURLOPT_CONNECTTIMEOUT")
        try set(ccurl_easy_setopt_long(handle, CURLOPT_TIMEOUT, configuration.totalTimeoutSeconds), "CURLOPT_TIMEOUT")
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
