/// A journal write or open that failed (a full disk, a missing directory): the batch is not
/// acknowledged.
package struct JournalError: Error, CustomStringConvertible {
    package var description: String
    init(_ d: String) { description = d }
}
