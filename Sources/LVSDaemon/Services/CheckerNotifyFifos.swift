import Director
import KeepalivedNotify
import Logging

/// The checkers' notify FIFOs (`notify_fifo` and `lvs_notify_fifo`) and their reader scripts.
///
/// keepalived's checker process writes `VS ...` and `RS ...` lines where it runs the quorum and notify scripts
/// (`do_vs_notifies`, `do_rs_notifies`), whether or not a script is configured; so does lvsd, from the director's
/// ``DirectorAction/quorumChanged(_:up:)`` and ``DirectorAction/realServerChanged(_:up:)``. The FIFOs are
/// opened non-blocking (``NotifyFifo``): a missing FIFO is created, a path that is not a FIFO is logged as an error
/// naming it and not used, and without a reader lines are lost once the pipe is full, never waited for.
struct CheckerNotifyFifos {
    /// What is open.
    private(set) var specs: [NotifyFifoSpec] = []
    private var fifos: [NotifyFifo] = []

    /// Opens the FIFOs of `specs` (closing any open before) and starts each one's reader script once its FIFO
    /// exists (keepalived's `notify_fifo_open`). Problems are logged; nothing here blocks or fails the daemon.
    mutating func open(_ specs: [NotifyFifoSpec], scripts: any ScriptLauncher, logger: Logger) {
        self.specs = specs
        fifos = []
        for spec in specs {
            do throws(NotifyFifo.Failure) {
                fifos.append(try NotifyFifo(path: spec.path))
                if let script = spec.script { scripts.launch(script) }
            } catch {
                logger.error("\(error)")
            }
        }
    }

    /// The FIFO lines of a batch of director actions, in order; `name` gives keepalived's `FMT_RS` of a real server.
    static func lines(for actions: [DirectorAction], name: (RealServerID) -> String) -> [String] {
        actions.compactMap { action in
            switch action {
            case .realServerChanged(let id, let up):
                NotifyFifoLine.realServer(name(id), of: id.virtualServer.description, up: up)
            case .quorumChanged(let id, let up):
                NotifyFifoLine.virtualServer(id.description, up: up)
            default:
                nil
            }
        }
    }

    /// Writes the lines of `actions` to every open FIFO; a line a full FIFO cannot take is lost (logged at debug).
    func write(_ actions: [DirectorAction], name: (RealServerID) -> String, logger: Logger) {
        guard !fifos.isEmpty else { return }
        for line in Self.lines(for: actions, name: name) {
            for fifo in fifos where !fifo.write(line) { logger.debug("notify FIFO \(fifo.path) full: lost \(line)") }
        }
    }
}
