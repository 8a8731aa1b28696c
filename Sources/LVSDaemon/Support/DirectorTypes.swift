import Director

// Director and Observability both have a `VirtualServerStatus` (the engine's state and the status report's
// entry), and the module `Director` shares its name with its main class, so `Director.VirtualServerStatus` does
// not resolve. These names say which is meant in files that import both.

/// The director engine's state of one virtual server.
public typealias DirectorVirtualServerStatus = VirtualServerStatus
