import Foundation
import Glibc
import Testing

/// A VRRP speaker in one namespace of a ``VethPair``: lvsd (the one under test) or keepalived 2.2.7 (the reference
/// and peer), started with a configuration and stopped, killed or asked for its status.
final class VRRPNode: @unchecked Sendable {
    enum Kind: String, CaseIterable, Sendable { case lvsd, keepalived }

    let kind: Kind
    let ns: TestNamespace
    let dir: String
    let label: String
    private(set) var process: Background?

    init(_ kind: Kind, in ns: TestNamespace, label: String) throws {
        self.kind = kind
        self.ns = ns
        self.label = label
        dir = try scratchDirectory("vrrp-\(label)")
    }

    var socket: String { "\(dir)/lvsd.sock" }
    var notifyFile: String { "\(dir)/notify" }

    /// Starts the daemon with `config` (`NOTIFY` in it is replaced by a script line appending to ``notifyFile``).
    func start(_ config: String, extra: [String] = []) throws {
        let text = config.replacingOccurrences(
            of: "NOTIFY", with: "notify \"/bin/sh -c 'echo \\\"$*\\\" >> \(notifyFile)' notify\"")
        let file = "\(dir)/\(kind.rawValue).conf"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        switch kind {
        case .lvsd:
            process = try Background(ns, productPath("lvsd"), ["-n", "-l", "-D", "-f", file, "-p", "\(dir)/lvsd.pid",
                                                               "--control-socket", socket] + extra, log: "\(dir)/lvsd.log")
        case .keepalived:
            process = try Background(ns, "keepalived", ["-n", "-l", "-D", "-P", "-f", file, "-p", "\(dir)/ka.pid",
                                                        "-r", "\(dir)/ka-vrrp.pid", "-c", "\(dir)/ka-check.pid"],
                                     log: "\(dir)/keepalived.log")
        }
    }

    /// Stops it as an operator would (SIGTERM) and waits for it to end.
    @discardableResult
    func stop() -> Bool { process?.stop(SIGTERM, within: 20) ?? true }

    /// Sends `signal` to the process that speaks VRRP (keepalived's VRRP child; lvsd itself).
    func signalVRRP(_ signal: Int32) {
        if kind == .keepalived, let text = try? String(contentsOfFile: "\(dir)/ka-vrrp.pid", encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, signal)
        } else {
            process?.signal(signal)
        }
    }

    /// Kills it with SIGKILL, keepalived's VRRP child included, leaving whatever it had configured.
    func kill9() {
        if kind == .keepalived, let text = try? String(contentsOfFile: "\(dir)/ka-vrrp.pid", encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGKILL)
        }
        process?.stop(SIGKILL, within: 10)
    }

    var log: String { process?.log ?? "" }
    var notifications: [String] {
        ((try? String(contentsOfFile: notifyFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Whether `address` is on `eth0` here.
    func holds(_ address: String) throws -> Bool {
        let out = try ns.exec("/sbin/ip", ["-o", "addr", "show", "dev", "eth0"]).stdout
        return out.split(separator: "\n").contains { $0.contains(" \(address)/") }
    }

    /// lvsd's status as JSON, decoded loosely; the VRRP instance called `name`.
    func instance(_ name: String = "VI_1") throws -> [String: Any]? {
        let r = try ns.exec(productPath("lvsd"), ["status", "--json", "--socket", socket])
        guard r.status == 0, let data = r.stdout.data(using: .utf8),
              let top = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = top["vrrp_instances"] as? [[String: Any]] else { return nil }
        return list.first { $0["name"] as? String == name }
    }

    /// Every diagnostic worth showing when an expectation fails.
    var diagnostics: String { "--- \(kind) \(label) log:\n\(log)\n--- notify:\n\(notifications.joined(separator: "\n"))" }
}

/// Seconds elapsed while `body` waited; with the result.
func timed(_ body: () throws -> Bool) rethrows -> (Bool, Double) {
    let start = Date()
    let ok = try body()
    return (ok, Date().timeIntervalSince(start))
}

/// A `vrrp_instance VI_1` on eth0 with `lines` inside.
func vrrpInstance(_ lines: String) -> String {
    """
    global_defs {
        router_id test
    }
    vrrp_instance VI_1 {
        interface eth0
        virtual_router_id 51
    \(lines)
    }

    """
}
