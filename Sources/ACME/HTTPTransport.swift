import HTTPSFetch

/// What sends requests: `HTTPSClient` in the server, a scripted fake in the tests of the protocol.
protocol HTTPTransport: AnyObject {
    func send(_ request: HTTPRequest) throws -> HTTPResponse
}

extension HTTPSClient: HTTPTransport {}
