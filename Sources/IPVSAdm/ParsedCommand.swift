import IPVSKit

/// Listing format flags (ipvsadm's `FMT_*`).
public struct ListFormat: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let numeric = ListFormat(rawValue: 0x0001)
    public static let rule = ListFormat(rawValue: 0x0002)
    public static let stats = ListFormat(rawValue: 0x0004)
    public static let rate = ListFormat(rawValue: 0x0008)
    public static let thresholds = ListFormat(rawValue: 0x0010)
    public static let persistentConn = ListFormat(rawValue: 0x0020)
    public static let noSort = ListFormat(rawValue: 0x0040)
    public static let exact = ListFormat(rawValue: 0x0080)
    public static let tunInfo = ListFormat(rawValue: 0x0100)
}

/// The virtual-service fields of a command line, held as ipvsadm holds them until the command runs.
public struct ServiceSpec: Sendable, Hashable {
    /// Firewall mark; 0 for an address service.
    public var fwmark: UInt32 = 0
    /// Family; `nil` until an address, `-f` or `-6` sets it.
    public var family: AddressFamily?
    /// IP protocol number (6, 17, 132; ipvsadm uses 6 for fwmark services).
    public var protocolNumber: UInt16 = 0
    /// Virtual address.
    public var address: IPAddress?
    /// Virtual port.
    public var port: UInt16 = 0
    /// Scheduler (cut to 15 characters, as `strncpy` does).
    public var scheduler = ""
    /// Raw service flags.
    public var flags: UInt32 = 0
    /// Persistence timeout.
    public var timeout: UInt32 = 0
    /// Persistence mask: host-order IPv4 mask, or IPv6 prefix length.
    public var netmask: UInt32 = 0xFFFF_FFFF
    /// Persistence engine; empty for none.
    public var persistenceEngine = ""

    /// The kernel identity of the service.
    public var key: ServiceKey {
        if fwmark != 0 { return .firewallMark(fwmark, family: family ?? .inet) }
        let proto = IPProtocol(rawValue: protocolNumber) ?? .tcp
        return .address(proto, address ?? (family == .inet6 ? .v6(0, 0) : .v4(0)), port: port)
    }

    /// Whether no service was named (the all-zero service ipvsadm sends for `-Z` alone).
    public var isEmpty: Bool {
        fwmark == 0 && port == 0 && (address == nil || address == .v4(0) || address == .v6(0, 0))
    }

    /// The service to send for `-A`/`-E`.
    public var service: Service {
        var s = Service(key: key, scheduler: scheduler, flags: ServiceFlags(rawValue: flags),
                        persistenceTimeout: timeout, netmask: netmask,
                        persistenceEngine: persistenceEngine.isEmpty ? nil : persistenceEngine)
        s.flags = ServiceFlags(rawValue: flags)
        return s
    }
}

/// The real-server fields of a command line.
public struct DestinationSpec: Sendable, Hashable {
    public var family: AddressFamily?
    public var address: IPAddress?
    public var port: UInt16 = 0
    public var forwarding: ForwardingMethod = .route
    public var weight: Int32 = 1
    public var upperThreshold: UInt32 = 0
    public var lowerThreshold: UInt32 = 0
    public var tunnelType: UInt8 = 0
    public var tunnelPort: UInt16 = 0
    public var tunnelFlags: UInt16 = 0

    /// The destination to send for `-a`/`-e`.
    public var destination: Destination {
        Destination(address: address ?? .v4(0), port: port, forwarding: forwarding, weight: weight,
                    upperThreshold: upperThreshold, lowerThreshold: lowerThreshold,
                    tunnel: TunnelSettings(type: TunnelType(rawValue: tunnelType) ?? .ipip, port: tunnelPort,
                                           checksum: TunnelChecksum(rawValue: tunnelFlags) ?? .none))
    }
}

/// One parsed ipvsadm command line.
public struct ParsedCommand: Sendable, Hashable {
    public var command: AdmCommand
    public var options = AdmOptionSet()
    public var format: ListFormat = []
    public var service = ServiceSpec()
    public var destination = DestinationSpec()
    public var timeouts = Timeouts(tcp: 0, tcpFin: 0, udp: 0)
    public var daemon = SyncDaemon(state: .master, interface: "")

    public init(command: AdmCommand) { self.command = command }

    /// The kernel operation this command performs, for the commands that change the table.
    public var operation: IPVSOperation? {
        switch command {
        case .addService: .addService(service.service)
        case .editService: .editService(service.service)
        case .deleteService: .deleteService(service.key)
        case .flush: .flush
        case .addServer: .addDestination(destination.destination, service: service.key)
        case .editServer: .editDestination(destination.destination, service: service.key)
        case .deleteServer:
            .deleteDestination(DestinationKey(address: destination.address ?? .v4(0), port: destination.port),
                               service: service.key)
        case .zero: .zero(service.isEmpty ? nil : service.key)
        case .setTimeouts: .setTimeouts(timeouts)
        case .startDaemon: .startDaemon(daemon)
        case .stopDaemon: .stopDaemon(daemon.state)
        case .list, .restore, .save: nil
        }
    }
}

/// What a command line asks for.
public enum Invocation: Sendable, Hashable {
    /// `-h`: usage on stdout, exit 0.
    case help
    /// `-v`: version on stdout, exit 0.
    case version
    /// A command to run.
    case command(ParsedCommand)
}

/// A refusal with ipvsadm's exact stderr text and exit status.
public struct AdmFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The complete stderr text, including the final newline.
    public var message: String
    /// The exit status (2 validation, 255 option-parser and kernel errors, 1 listing errors).
    public var status: Int32
    /// Whether ipvsadm exits on it even inside `-R` (its `fail()` and `tryhelp_exit()` call `exit`); popt errors
    /// only end the current line.
    public var endsRestore: Bool

    public init(message: String, status: Int32, endsRestore: Bool) {
        self.message = message
        self.status = status
        self.endsRestore = endsRestore
    }

    /// ipvsadm's `fail(2, ...)`.
    static func fail(_ text: String) -> AdmFailure { AdmFailure(message: text + "\n", status: 2, endsRestore: true) }

    /// ipvsadm's `tryhelp_exit(argv[0], -1)`.
    static func tryHelp(_ program: String) -> AdmFailure {
        AdmFailure(message: "Try `\(program) -h' or '\(program) --help' for more information.\n", status: 255, endsRestore: true)
    }

    public var description: String { message }
}
