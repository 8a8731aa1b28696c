import Foundation
import Observability

/// Builds lvsd's status report from the director service and a kernel read; what the control socket's `status`
/// and SIGUSR1 show.
public struct DaemonStatus: Sendable {
    let director: DirectorService
    let kernel: KernelReader
    let configFile: String
    let startedAt: Date
    let vrrp: VRRPService?
    let announce: AnnounceService?
    let sysctls: [String: Int]

    /// Creates the source.
    public init(director: DirectorService, kernel: KernelReader, configFile: String, startedAt: Date = Date(),
                vrrp: VRRPService? = nil, announce: AnnounceService? = nil, sysctls: [String: Int] = [:]) {
        self.director = director
        self.announce = announce
        self.sysctls = sysctls
        self.vrrp = vrrp
        self.kernel = kernel
        self.configFile = configFile
        self.startedAt = startedAt
    }

    /// The report now.
    public func report() async -> StatusReport {
        async let table = kernel.table()
        let snapshot = await director.snapshot()
        var report = StatusMapping.report(snapshot, kernel: await table, version: LvsdCommand.versionText, pid: getpid(),
                                          startedAt: startedAt, configFile: configFile)
        if let vrrp {
            let instances = await vrrp.status()
            if !instances.isEmpty { report.vrrpInstances = instances.map(StatusMapping.vrrp) }
        }
        if let announce {
            let a = await announce.report()
            if !a.addresses.isEmpty || a.drained { report.announce = StatusMapping.announce(a) }
        }
        if !sysctls.isEmpty {
            report.sysctls = sysctls.keys.sorted().map { SysctlStatus(name: "net.ipv4.vs.\($0)", value: sysctls[$0] ?? -1) }
        }
        return report
    }

    /// The report in `format`.
    public func render(_ format: StatusFormat) async -> String {
        let report = await report()
        return format == .json ? report.renderJSON() : report.renderText()
    }
}
