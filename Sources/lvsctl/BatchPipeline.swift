import Dispatch
import IPVSKit
import Synchronization

/// Sends batches of table operations to the kernel on a second thread while the caller goes on parsing input, so
/// that a large restore costs about the longer of parsing and kernel work instead of their sum.
///
/// Batches are applied in the order submitted (one serial queue, one socket), so a later line still sees what an
/// earlier one did. Results are handed back, in submission order, by ``finish()``, which waits for every batch.
final class BatchPipeline: Sendable {
    /// Operations per batch handed to the sender: small enough that the kernel starts early, large enough that
    /// each batch fills several sends.
    static let batchSize = 512

    private let client: IPVSClient
    private let queue = DispatchQueue(label: "lvsctl.batch-pipeline")
    private let completed = Mutex<[Int: [Result<Void, IPVSError>]]>([:])
    /// Batches submitted and not yet returned by ``finish()``.
    private let submitted = Mutex<[[IPVSOperation]]>([])

    init(client: IPVSClient) {
        self.client = client
    }

    /// Queues `operations` to be applied after every batch submitted before them.
    func submit(_ operations: [IPVSOperation]) {
        guard !operations.isEmpty else { return }
        let index = submitted.withLock { batches in
            batches.append(operations)
            return batches.count - 1
        }
        queue.async {
            let results = self.client.perform(operations)
            self.completed.withLock { $0[index] = results }
        }
    }

    /// Waits for every submitted batch and returns each operation with its result, in submission order.
    func finish() -> [(IPVSOperation, Result<Void, IPVSError>)] {
        queue.sync {}
        let batches = submitted.withLock { batches in
            defer { batches.removeAll() }
            return batches
        }
        let results = completed.withLock { done in
            defer { done.removeAll() }
            return done
        }
        var out: [(IPVSOperation, Result<Void, IPVSError>)] = []
        for (index, batch) in batches.enumerated() {
            let outcome = results[index] ?? Array(repeating: .failure(.timeout(command: .flush)), count: batch.count)
            out.append(contentsOf: zip(batch, outcome).map { ($0, $1) })
        }
        return out
    }
}
