extension String {
    /// The text a C function wrote into `chars` up to its terminating NUL (or all of it, when a
    /// truncating call such as `gethostname` left none), decoded as UTF-8 with repairs.
    /// `String(cString:)` on an array is deprecated for reading past an array with no NUL.
    package init(nulTerminated chars: [CChar]) {
        self = String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
