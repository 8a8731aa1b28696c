import Glibc
import Testing

@testable import KeepalivedNotify

@Suite("Notify FIFOs", .timeLimit(.minutes(1)))
struct NotifyFifoTests {
    @Test func keepalivedsLines() {
        #expect(NotifyFifoLine.virtualServer("[10.0.0.1]:tcp:80", up: true) == "VS [10.0.0.1]:tcp:80 UP")
        #expect(NotifyFifoLine.virtualServer("FWM 7", up: false) == "VS FWM 7 DOWN")
        #expect(NotifyFifoLine.realServer("[10.0.0.2]:tcp:80", of: "[10.0.0.1]:tcp:80", up: false)
            == "RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN")
        #expect(NotifyFifoLine.realServer("[2001:db8::2]:udp:53", of: "[web]:0", up: true)
            == "RS [2001:db8::2]:udp:53 [web]:0 UP")
        #expect(NotifyFifoLine.vrrp(kind: "INSTANCE", name: "VI_1", state: "MASTER", priority: 100)
            == "INSTANCE \"VI_1\" MASTER 100")
    }

    @Test func aMissingFifoIsCreatedAndReadable() throws {
        let path = temporaryPath("created")
        defer { unlink(path) }
        let fifo = try NotifyFifo(path: path)
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)
        #expect(st.st_mode & 0o777 == 0o644 & ~currentUmask())
        let reader = open(path, O_RDONLY | O_NONBLOCK)
        defer { close(reader) }
        #expect(fifo.write("VS [10.0.0.1]:tcp:80 UP"))
        #expect(fifo.write("RS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN"))
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = read(reader, &buffer, buffer.count)
        #expect(String(decoding: buffer.prefix(max(0, n)), as: UTF8.self)
            == "VS [10.0.0.1]:tcp:80 UP\nRS [10.0.0.2]:tcp:80 [10.0.0.1]:tcp:80 DOWN\n")
    }

    @Test func aPathThatIsNotAFifoIsRefusedNamingIt() throws {
        let path = temporaryPath("regular")
        defer { unlink(path) }
        let fd = creat(path, 0o600)
        close(fd)
        #expect(throws: NotifyFifo.Failure(description: "notify FIFO \(path) exists and is not a FIFO")) {
            try NotifyFifo(path: path)
        }
        let link = temporaryPath("link")
        defer { unlink(link) }
        symlink(path, link)
        #expect(throws: NotifyFifo.Failure(description: "notify FIFO \(link) exists and is not a FIFO")) {
            try NotifyFifo(path: link)
        }
    }

    @Test func aFifoInAMissingDirectoryIsRefusedNamingIt() {
        let path = "/nonexistent-\(getpid())/lvs.fifo"
        #expect(throws: NotifyFifo.Failure(description: "cannot create notify FIFO \(path): No such file or directory")) {
            try NotifyFifo(path: path)
        }
    }

    @Test func withoutAReaderWritesNeverBlockAndLinesAreLostOnceFull() throws {
        let path = temporaryPath("noreader")
        defer { unlink(path) }
        let fifo = try NotifyFifo(path: path)
        let line = String(repeating: "x", count: 200)
        let clock = ContinuousClock()
        let start = clock.now
        var written = 0
        var lost = 0
        for _ in 0..<2000 {  // 400 KB: more than a pipe holds (64 KiB by default)
            if fifo.write(line) { written += 1 } else { lost += 1 }
        }
        #expect(written > 0)
        #expect(lost > 0)
        #expect(clock.now - start < .seconds(5))
    }

    private func temporaryPath(_ name: String) -> String {
        "/tmp/lvsd-fifo-test-\(getpid())-\(name)-\(UInt32.random(in: 0...UInt32.max))"
    }

    private func currentUmask() -> mode_t {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }
}
