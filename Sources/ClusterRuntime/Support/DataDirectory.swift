import Foundation

/// The data directory holds every user's messages (the journal), the bot's state and the
/// sockets: private by default. Every tgcluster process creates what it creates for its own
/// user only (umask 077, whatever it inherited), and the directory itself is 0700.
package enum DataDirectory {
    /// A data directory others can read, which this user cannot fix.
    package struct NotPrivate: Error, CustomStringConvertible {
        package var path: String
        package var mode: mode_t
        package var owner: uid_t
        package var description: String {
            "the data directory \(path) is open to other users (mode \(String(mode & 0o777, radix: 8)), owner uid \(owner), "
                + "this process runs as uid \(getuid())): it holds every user's messages; make it private (chmod 700) "
                + "or choose another with --data-dir"
        }
    }

    /// Files and directories this process creates from now on are its user's only.
    package static func makeCreationsPrivate() {
        umask(0o077)
    }

    /// Creates `path` (0700), or checks the one there: if others may enter or read it and this
    /// user owns it, it is made private, with every file and directory in it (a data dir from
    /// before this rule); if another user owns it, `NotPrivate`. Returns what it changed.
    @discardableResult
    package static func prepare(_ path: String) throws -> [String] {
        var info = stat()
        if stat(path, &info) != 0 {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            return []
        }
        guard info.st_mode & 0o077 != 0 else { return [] }
        guard info.st_uid == getuid() else {
            throw NotPrivate(path: path, mode: info.st_mode, owner: info.st_uid)
        }
        var fixed = [path]
        chmod(path, 0o700)
        let walker = FileManager.default.enumerator(atPath: path)
        while let name = walker?.nextObject() as? String {
            let item = path + "/" + name
            guard lstat(item, &info) == 0, info.st_uid == getuid(), info.st_mode & 0o077 != 0 else { continue }
            let isDirectory = info.st_mode & S_IFMT == S_IFDIR
            guard isDirectory || info.st_mode & S_IFMT == S_IFREG else { continue }
            chmod(item, (info.st_mode & 0o700) | (isDirectory ? 0o700 : 0))
            fixed.append(item)
        }
        return fixed
    }
}
