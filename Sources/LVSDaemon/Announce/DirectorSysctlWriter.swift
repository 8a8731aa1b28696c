import Foundation
import KeepalivedConfig

/// Sets the IPVS sysctls of `global_defs` (`lvsd_sloppy_tcp`, `lvsd_schedule_icmp`, `lvsd_expire_nodest_conn`,
/// `lvsd_conntrack`) by writing `/proc/sys/net/ipv4/vs/NAME`, once at start, on the main thread before any service
/// runs (a few bytes to procfs). A reload does not change them (the next start does).
public enum DirectorSysctlWriter {
    /// Where the IPVS sysctls live.
    public static let directory = "/proc/sys/net/ipv4/vs"

    /// Writes each setting and reads it back; returns what the kernel has (name → value) for those it could read,
    /// and a message for each failure.
    public static func apply(_ sysctls: DirectorSysctls, directory: String = directory) -> (values: [String: Int], failures: [String]) {
        var values: [String: Int] = [:], failures: [String] = []
        for (name, value) in sysctls.settings {
            let path = "\(directory)/\(name)"
            do {
                try (value ? "1\n" : "0\n").write(toFile: path, atomically: false, encoding: .ascii)
            } catch {
                failures.append("cannot set \(path) to \(value ? 1 : 0): \(error.localizedDescription)")
                continue
            }
            if let text = try? String(contentsOfFile: path, encoding: .ascii),
               let read = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                values[name] = read
            }
        }
        return (values, failures)
    }
}
