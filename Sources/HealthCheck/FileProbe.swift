import NIOCore
import NIOPosix
import Synchronization
import TrackFile

#if canImport(Glibc)
    import Glibc
#endif

/// The track files lvsd has initialised (`init_file`) in this process: keepalived writes them when it reads the
/// configuration and never again on a reload.
private let initialisedTrackFiles = Mutex<Set<String>>([])

/// Reads a FILE_CHECK's file on NIO's blocking-I/O pool (never on an event loop or the cooperative pool), within
/// ``FileCheck/readTimeout``: the number, or ``ProbeFailure/trackFileValue(_:)`` when it is out of range.
func readTrackFile(_ check: FileCheck, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
    let start = NIODeadline.now()
    let completion = ProbeCompletion<ProbeResult>(eventLoop: eventLoop)
    completion.armDeadline(FileCheck.readTimeout) {
        .failed(.trackFileValue("Reading \(check.path) took longer than \(FileCheck.readTimeout) - ignoring"),
                latency: start.elapsed())
    }
    NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { () -> ProbeResult in
        var notes: [String] = []
        let first = initialisedTrackFiles.withLock { $0.insert(check.path).inserted }
        if first, let value = check.initValue { notes += initialise(check, value: value) }
        var result: ProbeResult
        switch TrackFile.read(check.path) {
        case .number(let value):
            result = ProbeResult(latency: start.elapsed())
            result.fileValue = value
        case .outOfRange(let value):
            result = .failed(.trackFileValue("Invalid number \(value) read from \(check.path) - ignoring"),
                             latency: start.elapsed())
        }
        result.notes = notes
        return result
    }.whenComplete { outcome in
        switch outcome {
        case .success(let result): completion.finish(result)
        case .failure(let error):
            completion.finish(.failed(.trackFileValue("Cannot read \(check.path): \(error) - ignoring"),
                                      latency: start.elapsed()))
        }
    }
    return completion.futureResult
}

/// keepalived's `track_file_end_handler`: writes `value` and a newline to a missing file, or with `overwrite`
/// to an existing regular file. Returns the lines to log.
func initialise(_ check: FileCheck, value: Int) -> [String] {
    var info = stat()
    if stat(check.path, &info) == 0 {
        if !check.initOverwrite { return [] }
        if info.st_mode & S_IFMT != S_IFREG {
            return ["Cannot initialise track file \(check.name) - it is not a regular file"]
        }
    }
    let fd = open(check.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
    guard fd >= 0 else { return ["Unable to initialise track file \(check.name)"] }
    defer { close(fd) }
    let text = Array("\(value)\n".utf8)
    let written = text.withUnsafeBytes { write(fd, $0.baseAddress, text.count) }
    return written == text.count ? [] : ["Unable to initialise track file \(check.name)"]
}
