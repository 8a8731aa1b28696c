/// The two DNS messages a `DNS_CHECK` handles: the query it sends and the verdict on a datagram received.
public enum DNSMessage {
    /// The fixed header's length.
    public static let headerLength = 12

    /// A query: header (`id`, RD set, one question), the encoded `name`, `type`, class IN.
    public static func query(id: UInt16, type: DNSRecordType, name: String) throws(DNSNameError) -> [UInt8] {
        var message: [UInt8] = [
            UInt8(id >> 8), UInt8(id & 0xFF),
            0x01, 0x00, // flags: RD
            0x00, 0x01, // QDCOUNT
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // AN, NS, AR counts
        ]
        message += try encodeName(name)
        message += [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), 0x00, 0x01]
        return message
    }

    /// A name in wire form: length-prefixed labels ending with the root label. `.` and the empty name are the
    /// root; one trailing dot is allowed. Rejects empty labels (`a..b`, `.a`), labels over 63 bytes and names
    /// over 255 bytes in wire form.
    public static func encodeName(_ name: String) throws(DNSNameError) -> [UInt8] {
        var text = Substring(name)
        if text == "." { text = "" }
        if text.hasSuffix(".") { text = text.dropLast() }
        var wire: [UInt8] = []
        if !text.isEmpty {
            for label in text.split(separator: ".", omittingEmptySubsequences: false) {
                let bytes = Array(label.utf8)
                guard !bytes.isEmpty else { throw .emptyLabel(name) }
                guard bytes.count <= 63 else { throw .labelTooLong(String(label)) }
                wire.append(UInt8(bytes.count))
                wire += bytes
            }
        }
        wire.append(0)
        guard wire.count <= 255 else { throw .nameTooLong(name) }
        return wire
    }

    /// The verdict on a datagram received in answer to a query with `id`: ``DatagramVerdict/ignore`` for one too short
    /// for a header, with another id, or without the QR (response) bit; a failure for an rcode other than
    /// NOERROR; a success otherwise.
    public static func judge(reply data: some Collection<UInt8>, id: UInt16) -> DatagramVerdict {
        guard data.count >= headerLength else { return .ignore }
        let bytes = Array(data.prefix(4))
        guard UInt16(bytes[0]) << 8 | UInt16(bytes[1]) == id else { return .ignore }
        guard bytes[2] & 0x80 != 0 else { return .ignore }
        let rcode = Int(bytes[3] & 0x0F)
        return rcode == 0 ? .success : .failure(.dnsRcode(rcode))
    }
}

/// Why a `DNS_CHECK` `name` cannot be sent.
public enum DNSNameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Two dots in a row, or a leading dot before a label.
    case emptyLabel(String)
    /// A label longer than 63 bytes.
    case labelTooLong(String)
    /// More than 255 bytes in wire form.
    case nameTooLong(String)

    /// A sentence naming the culprit.
    public var description: String {
        switch self {
        case .emptyLabel(let name): "DNS name '\(name)' has an empty label"
        case .labelTooLong(let label): "DNS label '\(label)' is longer than 63 bytes"
        case .nameTooLong(let name): "DNS name '\(name)' is longer than 255 bytes in wire form"
        }
    }
}
