/// The lines keepalived 2.2.7 writes to its notify FIFOs (without the newline).
public enum NotifyFifoLine {
    /// VRRP (vrrp_notify.c): `INSTANCE "VI_1" MASTER 100` or `GROUP "G1" BACKUP 0`.
    public static func vrrp(kind: String, name: String, state: String, priority: UInt8) -> String {
        "\(kind) \"\(name)\" \(state) \(priority)"
    }

    /// A virtual server's quorum (ipwrapper.c's `notify_fifo_vs`): `VS [10.0.0.1]:tcp:80 UP`, `VS FWM 7 DOWN`,
    /// `VS [group]:0 UP`; `virtualServer` is keepalived's `FMT_VS`.
    public static func virtualServer(_ virtualServer: String, up: Bool) -> String {
        "VS \(virtualServer) \(up ? "UP" : "DOWN")"
    }

    /// A real server's alive state (ipwrapper.c's `notify_fifo_rs`):
    /// `RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN`; `realServer` is `FMT_RS`, `virtualServer` `FMT_VS`.
    public static func realServer(_ realServer: String, of virtualServer: String, up: Bool) -> String {
        "RS \(realServer) \(virtualServer) \(up ? "UP" : "DOWN")"
    }
}
