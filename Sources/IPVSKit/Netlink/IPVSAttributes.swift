/// Attribute numbers of the IPVS generic-netlink family (`<linux/ip_vs.h>`).
enum CmdAttr {
    static let service: UInt16 = 1, dest: UInt16 = 2, daemon: UInt16 = 3
    static let timeoutTCP: UInt16 = 4, timeoutTCPFin: UInt16 = 5, timeoutUDP: UInt16 = 6
}

enum SvcAttr {
    static let af: UInt16 = 1, proto: UInt16 = 2, addr: UInt16 = 3, port: UInt16 = 4, fwmark: UInt16 = 5
    static let schedName: UInt16 = 6, flags: UInt16 = 7, timeout: UInt16 = 8, netmask: UInt16 = 9
    static let stats: UInt16 = 10, peName: UInt16 = 11, stats64: UInt16 = 12
}

enum DestAttr {
    static let addr: UInt16 = 1, port: UInt16 = 2, fwdMethod: UInt16 = 3, weight: UInt16 = 4
    static let uThresh: UInt16 = 5, lThresh: UInt16 = 6, activeConns: UInt16 = 7, inactConns: UInt16 = 8
    static let persistConns: UInt16 = 9, stats: UInt16 = 10, addrFamily: UInt16 = 11, stats64: UInt16 = 12
    static let tunType: UInt16 = 13, tunPort: UInt16 = 14, tunFlags: UInt16 = 15
}

enum DaemonAttr {
    static let state: UInt16 = 1, mcastIfn: UInt16 = 2, syncID: UInt16 = 3, maxLen: UInt16 = 4
    static let group: UInt16 = 5, group6: UInt16 = 6, port: UInt16 = 7, ttl: UInt16 = 8
}

enum StatsAttr {
    static let conns: UInt16 = 1, inPkts: UInt16 = 2, outPkts: UInt16 = 3, inBytes: UInt16 = 4, outBytes: UInt16 = 5
    static let cps: UInt16 = 6, inPPS: UInt16 = 7, outPPS: UInt16 = 8, inBPS: UInt16 = 9, outBPS: UInt16 = 10
}

enum InfoAttr {
    static let version: UInt16 = 1, connTabSize: UInt16 = 2
}

/// Netlink header constants (`<linux/netlink.h>`).
enum NL {
    static let request: UInt16 = 0x1, multi: UInt16 = 0x2, ack: UInt16 = 0x4
    static let dump: UInt16 = 0x300
    static let noop: UInt16 = 1, error: UInt16 = 2, done: UInt16 = 3, overrun: UInt16 = 4
}
