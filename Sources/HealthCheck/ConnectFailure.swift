import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Maps a connect error to a probe failure.
func connectFailure(_ error: any Error) -> ProbeFailure {
    if let failure = error as? ProbeFailure { return failure }
    if let channelError = error as? ChannelError, case .connectTimeout = channelError { return .connectTimeout }
    if let connection = error as? NIOConnectionError {
        if connection.connectionErrors.isEmpty, connection.dnsAAAAError != nil || connection.dnsAError != nil {
            return .connectionFailed("cannot resolve \(connection.host)")
        }
        if let first = connection.connectionErrors.first { return connectFailure(first.error) }
        return .connectionFailed("\(error)")
    }
    if let io = error as? IOError {
        if io.errnoCode == ECONNREFUSED { return .connectionRefused }
        if io.errnoCode == ETIMEDOUT { return .connectTimeout }
        return .connectionFailed("\(io)")
    }
    return .connectionFailed("\(error)")
}
