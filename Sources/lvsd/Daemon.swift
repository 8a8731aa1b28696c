#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import KeepalivedConfig

// MARK: - Daemon stub (to be implemented by the director/daemon component)

/// Runs the director with a parsed, error-free configuration; returns the process exit status.
///
/// STUB: the daemon (health checks, IPVS reconciliation, signals, metrics) is not implemented here yet.
func runDaemon(options: LvsdOptions, config: KeepalivedConfiguration) -> Int32 {
    printError("lvsd: daemon mode not implemented yet")
    return 1
}

/// Runs a sub-command (`genhash`, `status`); returns the process exit status.
///
/// STUB: to be implemented by the components that own these sub-commands.
func runSubcommand(_ name: String, arguments: [String]) -> Int32 {
    printError("lvsd: '\(name)' not implemented yet")
    return 1
}
