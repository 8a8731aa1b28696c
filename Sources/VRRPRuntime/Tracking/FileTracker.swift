import Logging
import ProgramRunner
import Synchronization
import TrackFile
#if canImport(Glibc)
import Glibc
#endif

/// Reads the `vrrp_track_file`s: each file's first number (0 when missing or not a number), at start and then
/// once a second, on a thread of its own; reports every change. `init_file` creates a missing file (or, with
/// `overwrite`, rewrites it) with its value at start, as keepalived does.
final class FileTracker: Sendable {
    private let files: [TrackedFilePlan]
    private let logger: Logger
    private let stopped = Atomic<Bool>(false)

    init(files: [TrackedFilePlan], logger: Logger) {
        // One reader per path, whatever the number of instances tracking it.
        var seen = Set<String>()
        self.files = files.filter { seen.insert($0.name).inserted }
        self.logger = logger
    }

    /// Initialises the files, reads them once and returns the values (by track-file name); then keeps polling,
    /// calling `changed` on every change until ``stop()``.
    func start(_ changed: @escaping @Sendable (String, Int) -> Void) async -> [String: Int] {
        guard !files.isEmpty else { return [:] }
        let files = self.files, logger = self.logger
        return await withCheckedContinuation { (first: CheckedContinuation<[String: Int], Never>) in
            let created = startDetachedThread { [self] in
                var values: [String: Int] = [:]
                for f in files {
                    Self.initialise(f, logger: logger)
                    values[f.name] = Self.value(f.path, logger: logger) ?? 0
                }
                first.resume(returning: values)
                while !self.stopped.load(ordering: .relaxed) {
                    sleep(1)
                    for f in files {
                        guard let v = Self.value(f.path, logger: logger) else { continue }
                        if v != values[f.name] {
                            logger.info("Track file \(f.name) (\(f.path)) now \(v)")
                            values[f.name] = v
                            changed(f.name, v)
                        }
                    }
                }
            }
            if created != 0 {
                logger.error("cannot start the track_file reader thread (errno \(created))")
                first.resume(returning: [:])
            }
        }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }

    static func initialise(_ f: TrackedFilePlan, logger: Logger) {
        guard let value = f.initValue else { return }
        if !f.overwrite && access(f.path, F_OK) == 0 { return }
        guard let file = fopen(f.path, "w") else {
            logger.error("track_file \(f.name): cannot create \(f.path): \(String(cString: strerror(errno)))")
            return
        }
        fputs("\(value)\n", file)
        fclose(file)
    }

    /// The file's value as keepalived reads it (``TrackFile/read(_:)``): `nil` (logged, the previous value kept)
    /// when the number is out of range; 0 when the file is missing, empty or not a number.
    static func value(_ path: String, logger: Logger) -> Int? {
        switch TrackFile.read(path) {
        case .number(let n): return Int(n)
        case .outOfRange(let n):
            logger.info("Invalid number \(n) read from \(path) - ignoring")
            return nil
        }
    }
}
