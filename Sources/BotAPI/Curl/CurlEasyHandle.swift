internal import CCurl
internal import CCurlShims

/// A libcurl easy handle with its error buffer: the pair lives as long as the handle, which
/// `CurlMultiLoop` reuses call after call (a buffer per call was one more allocation per reply).
struct CurlEasyHandle {
    let easy: UnsafeMutableRawPointer
    let errorBuffer: UnsafeMutablePointer<CChar>

    /// A new handle, or nil when libcurl is out of memory.
    static func make() -> CurlEasyHandle? {
        guard let easy = curl_easy_init() else { return nil }
        let size = Int(CCurlShims_error_size())
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        buffer.initialize(repeating: 0, count: size)
        return CurlEasyHandle(easy: easy, errorBuffer: buffer)
    }

    /// Frees the handle and its buffer; neither is used again.
    func free() {
        curl_easy_cleanup(easy)
        errorBuffer.deallocate()
    }
}
