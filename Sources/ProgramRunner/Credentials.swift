#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The identity a child takes before exec: uid, gid and supplementary groups, resolved before the fork (the
/// child may not call getpwnam and friends).
struct Credentials: Hashable, Sendable {
    var uid: uid_t
    var gid: gid_t
    var groups: [gid_t]

    /// Resolves a spec's user and group against the runner's defaults: a user without a group takes the user's
    /// primary group; a group alone goes with the default user (or the daemon's own uid); neither: the default
    /// user and group. Returns nil when nothing is to change (no user or group anywhere, or exactly the
    /// process's own identity when it is not root and so could not call setgroups).
    static func resolve(
        user specUser: String?,
        group specGroup: String?,
        defaultUser: String?,
        defaultGroup: String?,
        path: String
    ) throws(ProgramRunnerError) -> Credentials? {
        let userName = specUser ?? defaultUser
        let groupName = specGroup ?? (specUser == nil ? defaultGroup : nil)
        if userName == nil && groupName == nil { return nil }
        var uid = geteuid()
        var gid = getegid()
        if let userName {
            guard let entry = try lookupUser(userName, path: path) else {
                throw ProgramRunnerError(.unknownUser, path: path, user: userName, group: groupName,
                                         message: "unknown user")
            }
            (uid, gid) = entry
        }
        if let groupName {
            guard let group = try lookupGroup(groupName, path: path) else {
                throw ProgramRunnerError(.unknownGroup, path: path, user: userName, group: groupName,
                                         message: "unknown group")
            }
            gid = group
        }
        if geteuid() != 0 && uid == geteuid() && gid == getegid() { return nil }
        let groups = userName.map { supplementaryGroups(of: $0, primary: gid) } ?? [gid]
        return Credentials(uid: uid, gid: gid, groups: groups)
    }

    /// getpwnam_r: the user's uid and primary gid; nil when there is no such user.
    static func lookupUser(_ name: String, path: String) throws(ProgramRunnerError) -> (uid_t, gid_t)? {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        let rc = withLookupBuffer { buffer, size in getpwnam_r(name, &entry, buffer, size, &found) }
        if rc != 0 && rc != ENOENT && rc != ESRCH {
            throw ProgramRunnerError(.unknownUser, path: path, user: name, errno: rc)
        }
        return found == nil ? nil : (entry.pw_uid, entry.pw_gid)
    }

    /// getgrnam_r: the group's gid; nil when there is no such group.
    private static func lookupGroup(_ name: String, path: String) throws(ProgramRunnerError) -> gid_t? {
        var entry = group()
        var found: UnsafeMutablePointer<group>?
        let rc = withLookupBuffer { buffer, size in getgrnam_r(name, &entry, buffer, size, &found) }
        if rc != 0 && rc != ENOENT && rc != ESRCH {
            throw ProgramRunnerError(.unknownGroup, path: path, group: name, errno: rc)
        }
        return found == nil ? nil : entry.gr_gid
    }

    /// Calls a `get*nam_r` function with a scratch buffer, growing it while the call answers ERANGE. (Only
    /// numbers are read from the entry afterwards, never its strings, which point into the buffer.)
    private static func withLookupBuffer(_ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) -> Int32 {
        var size = 16_384
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let rc = buffer.withUnsafeMutableBufferPointer { storage in
                guard let base = storage.baseAddress else { return ENOMEM }
                return body(base, storage.count)
            }
            if rc != ERANGE || size >= 1 << 24 { return rc }
            size *= 2
        }
    }

    /// getgrouplist: `primary` and every group listing `user`.
    private static func supplementaryGroups(of user: String, primary: gid_t) -> [gid_t] {
        var count: Int32 = 32
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            let capacity = count
            if getgrouplist(user, primary, &groups, &count) >= 0 {
                return Array(groups.prefix(Int(count)))
            }
            // -1: too small, `count` now holds the size needed (guard against a count that does not grow).
            if count <= capacity { count = capacity * 2 }
            if count > 65_536 { return [primary] }
        }
    }
}
