// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "LVS",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "IPVSKit", targets: ["IPVSKit"]),
        .library(name: "ProgramRunner", targets: ["ProgramRunner"]),
        .executable(name: "lvsctl", targets: ["lvsctl"]),
        .executable(name: "lvsd", targets: ["lvsd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // libnl-genl-3 / libnl-3 from Debian's -dev packages.
        .systemLibrary(
            name: "CLibNL",
            pkgConfig: "libnl-genl-3.0",
            providers: [.apt(["libnl-genl-3-dev", "libnl-3-dev"])]
        ),
        // Header-only shim: UAPI constants (<linux/ip_vs.h>, <linux/genetlink.h>) and macro wrappers.
        .target(name: "CIPVSShim", dependencies: ["CLibNL"]),
        // The IPVS generic-netlink client: model, codec, socket, batches, diff-and-apply.
        .target(name: "IPVSKit", dependencies: ["CIPVSShim", "CLibNL"]),
        // ipvsadm's command-line grammar and its listing, save and error formats (pure; no I/O).
        .target(name: "IPVSAdm", dependencies: ["IPVSKit"]),
        // keepalived.conf: lexer, parser, diagnostics, and the LVS configuration model.
        .target(name: "KeepalivedConfig", dependencies: ["IPVSKit"]),
        // Non-blocking connect, epoll and eventfd for HealthCheck's lean TCP connect prober.
        .target(name: "CConnectShim"),
        // ProgramRunner's spawn (vfork-style clone; setsid, ids, /dev/null, exec), pidfd_open, waitid(P_PIDFD).
        .target(name: "CSpawnShim"),
        // Runs external programs (MISC_CHECK, notify and VRRP scripts): no shell, own process group, script user,
        // script security, timeouts, reaping through pidfds on one epoll thread.
        .target(name: "ProgramRunner", dependencies: ["CSpawnShim", "CConnectShim"]),
        // PCRE2's 8-bit library from Debian's -dev package: HTTP_GET/SSL_GET `regex`, matched as keepalived does.
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        // Health checkers: TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, and their retry state machine.
        .target(name: "HealthCheck", dependencies: [
            "CConnectShim", "ProgramRunner", "CPCRE2", "TrackFile",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // VRRP's pure core: wire codec (v2/v3, IPv4/IPv6), keepalived's receive checks, timers, instance state machine.
        .target(name: "VRRP"),
        // libnl-route-3 (addresses, routes, links over rtnetlink) from Debian's -dev package.
        .systemLibrary(
            name: "CLibNLRoute",
            pkgConfig: "libnl-route-3.0",
            providers: [.apt(["libnl-route-3-dev", "libnl-3-dev"])]
        ),
        // Header-only shim for VRRPNetwork: socket options, recvmsg with ancillary data, setns, poll with a wake fd.
        .target(name: "CVRRPShim", dependencies: ["CLibNLRoute"]),
        // VRRP's I/O: VIPs and routes over rtnetlink, the link/address watcher, VRRP raw sockets, GARP and NA.
        .target(name: "VRRPNetwork", dependencies: ["VRRP", "CVRRPShim", "CLibNLRoute", "IPVSKit", "ProgramRunner"]),
        // keepalived's notify FIFOs (notify_fifo, vrrp_notify_fifo, lvs_notify_fifo): the non-blocking writer and
        // the lines VRRP and the checkers write, shared by VRRPRuntime and lvsd's director.
        .target(name: "KeepalivedNotify"),
        .target(name: "TrackFile"),
        // VRRP in lvsd: keepalived.conf's vrrp_* blocks planned, instances driven on real time, adverts sent and
        // received, VIPs and routes applied, GARP/NA bursts, vrrp_script and interface tracking, notifies.
        .target(name: "VRRPRuntime", dependencies: [
            "VRRP", "VRRPNetwork", "KeepalivedConfig", "IPVSKit", "ProgramRunner", "CConnectShim", "KeepalivedNotify",
            "TrackFile",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // keepalived's SMTP alerts: its subjects and bodies, settings from global_defs, and a sender that queues
        // mails and delivers them on an event loop of its own (never delaying the caller).
        .target(name: "SMTPAlert", dependencies: [
            "KeepalivedConfig",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The director: config + checker results -> real-server state -> desired table -> kernel.
        .target(name: "Director", dependencies: ["IPVSKit", "KeepalivedConfig", "HealthCheck"]),
        // lvsd's outward faces: Prometheus /metrics over HTTP, the root-only control socket, systemd notification.
        .target(name: "Observability", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // lvsd's log handler: syslog (/dev/log) and console lines as keepalived writes them (-l, -G, -S, -D).
        .target(name: "DaemonLogging", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // Released as a fully static executable: scripts run lvsctl once per change, and with shared libraries
        // the dynamic loader (relocating libstdc++ above all: 2.3 M of the 2.8 M instructions of a run of
        // `lvsctl --version`) cost more than a whole run of ipvsadm (bench/lvsctl-bench.sh). Names (-L without -n)
        // are still looked up through glibc's NSS; the linker's warnings say that NSS modules loaded at run time
        // must come from the glibc lvsctl was linked with.
        .executableTarget(
            name: "lvsctl",
            dependencies: ["IPVSKit", "IPVSAdm", "KeepalivedConfig", "DaemonLogging"],
            linkerSettings: [.unsafeFlags(["-static-executable"], .when(platforms: [.linux], configuration: .release))]
        ),
        // lvsd's logic: its command line, start-up, and the services it is made of (configuration and reload, the
        // director with its checkers, the control socket, the metrics endpoint, signals), run by one ServiceGroup.
        .target(name: "LVSDaemon", dependencies: [
            "IPVSKit", "KeepalivedConfig", "HealthCheck", "Director", "Observability", "ProgramRunner", "DaemonLogging",
            "VRRPRuntime", "VRRPNetwork", "VRRP", "SMTPAlert", "KeepalivedNotify",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "lvsd", dependencies: [
            "LVSDaemon",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "IPVSKitTests", dependencies: ["IPVSKit"], exclude: ["Fixtures"]),
        .testTarget(name: "IPVSAdmTests", dependencies: ["IPVSAdm", "IPVSKit"]),
        .testTarget(name: "KeepalivedConfigTests", dependencies: ["KeepalivedConfig"]),
        .testTarget(name: "HealthCheckTests", dependencies: [
            "HealthCheck", "TrackFile",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // An in-memory IPVS table for the director's and lvsd's unit tests (not part of any product).
        .target(name: "DirectorTesting", dependencies: ["Director", "IPVSKit"]),
        .testTarget(name: "DirectorTests", dependencies: ["Director", "DirectorTesting"]),
        .testTarget(name: "ProgramRunnerTests", dependencies: ["ProgramRunner"]),
        .testTarget(name: "ObservabilityTests", dependencies: ["Observability"]),
        .testTarget(name: "LVSDaemonTests", dependencies: [
            "LVSDaemon", "Director", "DirectorTesting", "IPVSKit", "KeepalivedConfig", "HealthCheck", "Observability",
            "ProgramRunner", "SMTPAlert",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "VRRPTests", dependencies: ["VRRP"], exclude: ["Fixtures"]),
        .testTarget(name: "VRRPNetworkTests", dependencies: ["VRRPNetwork", "VRRP"]),
        .testTarget(name: "VRRPRuntimeTests", dependencies: [
            "VRRPRuntime", "VRRP", "VRRPNetwork", "KeepalivedConfig", "TrackFile", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SMTPAlertTests", dependencies: [
            "SMTPAlert", "KeepalivedConfig",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "KeepalivedNotifyTests", dependencies: ["KeepalivedNotify"]),
        .testTarget(name: "DaemonLoggingTests", dependencies: [
            "DaemonLogging", .product(name: "Logging", package: "swift-log"),
        ]),
        // Runs only inside the test VM (scripts/test.sh): needs root and a kernel with IPVS.
        .testTarget(name: "KernelTests", dependencies: [
            "IPVSKit", "IPVSAdm", "KeepalivedConfig", "Director", "VRRP", "VRRPNetwork", "VRRPRuntime",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
