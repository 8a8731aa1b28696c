import NIOCore

/// Splits a control connection's bytes into lines of at most `maxLength` bytes (newline excluded).
///
/// A line longer than the limit fails the channel with ``ControlRequestError/tooLong(limit:)`` as soon as the
/// limit is passed, so a client that never sends a newline cannot make the server buffer without bound. Bytes
/// left at end of input without a newline count as a last line.
struct RequestLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String

    let maxLength: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        if let newline = view.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            guard length <= self.maxLength else { throw ControlRequestError.tooLong(limit: self.maxLength) }
            let line = try Self.text(buffer.readSlice(length: length))
            buffer.moveReaderIndex(forwardBy: 1)
            context.fireChannelRead(Self.wrapInboundOut(line))
            return .continue
        }
        guard buffer.readableBytes <= self.maxLength else {
            throw ControlRequestError.tooLong(limit: self.maxLength)
        }
        return .needMoreData
    }

    mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        if try self.decode(context: context, buffer: &buffer) == .continue {
            return .continue
        }
        if buffer.readableBytes > 0 {
            let line = try Self.text(buffer.readSlice(length: buffer.readableBytes))
            context.fireChannelRead(Self.wrapInboundOut(line))
        }
        return .needMoreData
    }

    private static func text(_ slice: ByteBuffer?) throws -> String {
        guard let slice, let text = String(validating: slice.readableBytesView, as: UTF8.self) else {
            throw ControlRequestError.notUTF8
        }
        return text
    }
}
