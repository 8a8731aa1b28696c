import ServiceLifecycle

/// Runs `body` until it returns or graceful shutdown begins (then it is cancelled).
func cancelWhenGracefulShutdownQuietly(_ body: @escaping @Sendable () async -> Void) async {
    await cancelWhenGracefulShutdown { await body() }
}

/// Suspends until graceful shutdown begins (or the task is cancelled).
func waitForGracefulShutdown() async {
    try? await gracefulShutdown()
}
