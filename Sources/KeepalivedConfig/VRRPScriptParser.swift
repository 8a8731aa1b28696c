import IPVSKit

/// `vrrp_script` and `vrrp_track_file` blocks, read as keepalived 2.2.7 reads them.
extension Parser {
    mutating func parseVRRPScript(_ node: ConfigNode) -> VRRPScript? {
        guard node.arguments.count == 1, let nameToken = node.arguments.first else {
            log.error(.syntax, node.location, "'vrrp_script' must have a name (exactly one word); the block is skipped")
            return nil
        }
        guard let block = requireBlock(node) else { return nil }
        let name = nameToken.text
        var command: ScriptCommand?
        var user: (String, String?)?
        var script = VRRPScript(name: name, location: node.location,
                                script: ScriptCommand(arguments: [], location: node.location))
        for child in block {
            switch child.name {
            case "script":
                command = self.script(child, takesUser: false)
            case "interval":
                if let v = wholeSeconds(child, owner: name) { script.interval = v }
            case "timeout":
                if let v = wholeSeconds(child, owner: name) { script.timeout = v }
            case "weight":
                rejectBlock(child)
                guard let token = child.arguments.first else {
                    log.error(.syntax, child.location, "'weight' needs a value")
                    continue
                }
                guard let w = ConfigValue.signed(token.text, in: -253...253) else {
                    log.error(.invalidValue, token.location, "vrrp_script \(name) weight \(token.raw) must be in [-253, 253]")
                    continue
                }
                script.weight = w
                if child.arguments.count >= 2 {
                    if child.arguments[1].text == "reverse" {
                        script.weightReverse = true
                    } else {
                        log.warning(.adjusted, child.arguments[1].location,
                                    "vrrp_script \(name) unknown weight option \(child.arguments[1].raw) - ignoring it")
                    }
                }
            case "rise", "fall":
                guard let token = argument(child) else { continue }
                let value: UInt32
                if let v = ConfigValue.unsigned(token.text, in: 1...UInt64(Int32.max)) {
                    value = UInt32(v)
                } else {
                    invalid(child, token, "expected an integer from 1 to \(Int32.max); defaulting to 1")
                    value = 1
                }
                if child.name == "rise" { script.rise = value } else { script.fall = value }
            case "user":
                guard let token = argument(child, "a user name") else { continue }
                user = (token.text, child.arguments.count > 1 ? child.arguments[1].text : nil)
            case "init_fail":
                noArguments(child)
                script.initFail = true
            default:
                unknown(child, in: "vrrp_script")
            }
        }
        guard var command else {
            log.warning(.adjusted, node.location, "no script set for vrrp_script \(name) - removing it")
            return nil
        }
        if let user {
            command.user = user.0
            command.group = user.1
        }
        script.script = command
        return script
    }

    /// `interval` / `timeout`: whole seconds; 0 is taken as 1 as keepalived does.
    private mutating func wholeSeconds(_ node: ConfigNode, owner: String) -> ConfigDuration? {
        guard let v = unsigned(node, in: 0...UInt64(UInt32.max / 1_000_000)) else { return nil }
        if v == 0 {
            log.warning(.adjusted, node.location, "(\(owner)) vrrp script \(node.name) must be greater than 0, setting to 1")
            return .seconds(1)
        }
        return .seconds(Int64(v))
    }

    mutating func parseTrackFileDefinition(_ node: ConfigNode) -> VRRPTrackFileDefinition? {
        guard node.arguments.count == 1, let nameToken = node.arguments.first else {
            log.error(.syntax, node.location, "'\(node.name)' must have a name (exactly one word); the block is skipped")
            return nil
        }
        guard let block = requireBlock(node) else { return nil }
        if node.name == "vrrp_track_file" { deprecated(node, "track_file") }
        var definition = VRRPTrackFileDefinition(name: nameToken.text, location: node.location)
        for child in block {
            switch child.name {
            case "file":
                definition.path = string(child)
            case "weight":
                rejectBlock(child)
                guard let token = child.arguments.first else {
                    log.error(.syntax, child.location, "'weight' needs a value")
                    continue
                }
                guard let w = ConfigValue.signed(token.text, in: -254...254) else {
                    invalid(child, token, "expected a weight from -254 to 254")
                    continue
                }
                definition.weight = w
                if child.arguments.count > 1 {
                    if child.arguments[1].text == "reverse" {
                        definition.reverse = true
                    } else {
                        invalid(child, child.arguments[1], "expected 'reverse'")
                    }
                }
            case "init_file":
                rejectBlock(child)
                definition.initFile = child.arguments.map(\.text)
            default:
                unknown(child, in: node.name)
            }
        }
        guard definition.path != nil else {
            log.warning(.adjusted, node.location, "\(node.name) \(definition.name) has no file - removing it")
            return nil
        }
        return definition
    }
}
