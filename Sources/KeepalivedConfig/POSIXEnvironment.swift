#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few operating-system facts the reader needs (file contents, host name, working directory, environment),
/// taken straight from libc so that the parser, and lvsctl which links it, stay free of Foundation.
enum POSIXEnvironment {
    /// Why a file could not be read, in the words a diagnostic uses.
    enum ReadFailure: Error, Equatable {
        case noSuchFile
        case isDirectory
        case cannotRead

        var explanation: String {
            switch self {
            case .noSuchFile: "no such file"
            case .isDirectory: "is a directory"
            case .cannotRead: "cannot be read"
            }
        }
    }

    /// The whole contents of the regular file at `path`.
    static func contents(ofFile path: String) -> Result<[UInt8], ReadFailure> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(errno == ENOENT ? .noSuchFile : .cannotRead) }
        if (info.st_mode & S_IFMT) == S_IFDIR { return .failure(.isDirectory) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(.cannotRead) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(Int(info.st_size), 0))
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return .success(bytes) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.cannotRead)
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// The host name as `gethostname(2)` reports it.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The process's working directory, or "." when it cannot be determined.
    static func currentDirectory() -> String {
        guard let path = getcwd(nil, 0) else { return "." }
        defer { free(path) }
        return String(cString: path)
    }

    /// The value of environment variable `name`, if set.
    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
