import Director

/// The director's notify script (KeepalivedConfig has a `ScriptCommand` too).
typealias DirectorScript = ScriptCommand
