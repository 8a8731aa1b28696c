import KeepalivedConfig

/// A notify FIFO the checkers write to, and the reader script keepalived starts for it.
public struct NotifyFifoSpec: Hashable, Sendable {
    /// The FIFO's path.
    public var path: String
    /// `notify_fifo_script` / `lvs_notify_fifo_script` with the FIFO's path appended, as keepalived runs it.
    public var script: ScriptCommand?

    /// Creates a spec.
    public init(path: String, script: ScriptCommand?) {
        self.path = path
        self.script = script
    }

    /// keepalived's checker process opens `notify_fifo` (shared with VRRP) and then `lvs_notify_fifo`.
    static func checkerFifos(_ g: GlobalDefinitions) -> [NotifyFifoSpec] {
        [(g.notifyFifo, g.notifyFifoScript), (g.lvsNotifyFifo, g.lvsNotifyFifoScript)].compactMap { path, script in
            guard let path else { return nil }
            return NotifyFifoSpec(path: path, script: script.map {
                ScriptCommand($0.arguments + [path], user: $0.user, group: $0.group)
            })
        }
    }
}
