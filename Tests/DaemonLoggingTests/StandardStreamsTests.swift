import Glibc
import Testing

@testable import DaemonLogging

/// Detaching points descriptors at /dev/null (tried on spare descriptors, not on the test runner's own 0-2).
@Suite struct StandardStreamsTests {
    @Test func redirectedDescriptorsWriteToDevNullAndReadEndOfFile() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let (reader, writer) = (ends[0], ends[1])
        let spare = dup(writer)
        #expect(spare > 2)
        close(writer)
        try StandardStreams.redirectToNull([spare])
        // The pipe's last writer is gone: nothing written to `spare` reaches it, and its reader sees EOF.
        let text = Array("lost".utf8)
        #expect(text.withUnsafeBytes { write(spare, $0.baseAddress, $0.count) } == 4)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(buffer.withUnsafeMutableBytes { read(reader, $0.baseAddress, $0.count) } == 0)
        // And reading from it is /dev/null's end of file.
        #expect(buffer.withUnsafeMutableBytes { read(spare, $0.baseAddress, $0.count) } == 0)
        close(spare)
        close(reader)
    }
}
