import IPVSKit

/// A `vrrp_sync_group` as read: member names are checked against the instances by ``Parser/finishVRRP()``.
struct PendingSyncGroup: Sendable {
    var group: VRRPSyncGroup
    /// The names in `group { }` with where each was written.
    var memberNames: [(name: String, location: ConfigLocation)] = []
}

extension Parser {
    static let syncGroupOtherKeywords: Set<String> = ["track_process", "track_bfd"]

    mutating func parseSyncGroup(_ node: ConfigNode) -> PendingSyncGroup? {
        guard node.arguments.count == 1, let nameToken = node.arguments.first else {
            log.error(.syntax, node.location, "'vrrp_sync_group' must have a name (exactly one word); the block is skipped")
            return nil
        }
        guard let block = requireBlock(node) else { return nil }
        let name = nameToken.text
        var pending = PendingSyncGroup(group: VRRPSyncGroup(name: name, location: node.location))
        var sawGroup = false
        for child in block {
            switch child.name {
            case "group":
                guard let lines = requireBlock(child) else { continue }
                rejectArguments(child)
                if sawGroup {
                    log.warning(.adjusted, child.location, "group list already specified for sync group \(name) - ignoring this one")
                    continue
                }
                sawGroup = true
                for line in lines {
                    rejectBlock(line)
                    for token in [line.keyword] + line.arguments {
                        pending.memberNames.append((token.text, token.location))
                    }
                }
                if pending.memberNames.isEmpty {
                    log.warning(.adjusted, child.location, "sync group \(name) has an empty group block")
                }
            case "smtp_alert":
                if let v = optionalBool(child) { pending.group.smtpAlert = v }
            case "global_tracking":
                noArguments(child)
                log.warning(.deprecated, child.location,
                            "(\(name)) global_tracking is deprecated; use track_interface/script/file on the sync group")
                pending.group.trackingWeight = true
            case "notify_priority_changes":
                if let v = optionalBool(child) { pending.group.notifyPriorityChanges = v }
            case "sync_group_tracking_weight":
                noArguments(child)
                pending.group.trackingWeight = true
            default:
                if parseTrackingOrNotify(child, into: &pending.group, owner: name) {
                    continue
                } else if Self.syncGroupOtherKeywords.contains(child.name) {
                    pending.group.otherSettings.append(OtherSetting(keyword: child.name, arguments: child.arguments.map(\.text),
                                                                    location: child.location))
                } else {
                    unknown(child, in: "vrrp_sync_group")
                }
            }
        }
        if !sawGroup {
            log.warning(.adjusted, node.location, "sync group \(name) has no group block")
        }
        return pending
    }
}
