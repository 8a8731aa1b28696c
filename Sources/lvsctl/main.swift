import IPVSAdm
import IPVSKit
#if canImport(Glibc)
import Glibc
#endif

// lvsctl: ipvsadm 1.31's command line and output, byte for byte, plus --json and --netns NAME.
var words = Array(CommandLine.arguments.dropFirst())
let program = CommandLine.arguments.first ?? "lvsctl"
var json = false
var namespace: String?
var i = 0
while i < words.count {
    let w = words[i]
    if w == "--json" {
        json = true
        words.remove(at: i)
    } else if w == "--netns", i + 1 < words.count {
        namespace = words[i + 1]
        words.removeSubrange(i...(i + 1))
    } else if w.hasPrefix("--netns=") {
        namespace = String(w.dropFirst("--netns=".count))
        words.remove(at: i)
    } else {
        i += 1
    }
}

// `lvsctl version`: this project's release version. `-v` / `--version` print ipvsadm's line byte for byte (scripts
// parse it), so the release is a word of its own, like `apply`; it needs no IPVS.
if words == ["version"] {
    Output.out("lvsctl \(ProductVersion.string) (ipvsadm v1.31 compatible)\n")
    Output.exit(0)
}

if let namespace {
    // Enter the namespace for the whole run, so /proc/net/ip_vs_conn is read there too.
    do throws(IPVSError) {
        try NetworkNamespace.enter(namespace)
    } catch {
        let path = NetworkNamespace.path(for: namespace)
        let code = if case .system(_, let e) = error { e } else { EINVAL }
        Output.err("lvsctl: cannot enter network namespace \(path): \(IPVSError.strerror(code))\n")
        Output.exit(2)
    }
}

let client: IPVSClient
do throws(IPVSError) {
    client = try IPVSClient()
} catch {
    Output.err("Can't initialize ipvs: \(IPVSError.strerror(ENOPROTOOPT))\nAre you sure that IP Virtual Server is built in the kernel or as module?\n")
    Output.exit(2)
}

let runner = Runner(client: client, program: program, json: json)
if words.first == "apply" {
    Output.exit(Apply.run(Array(words.dropFirst()), client: client))
}
if words.isEmpty {
    _ = runner.listAll([])
    Output.exit(0)
}
do throws(AdmFailure) {
    switch try runner.parser.parse(words) {
    case .help:
        Output.out(Usage.text(program: program))
        Output.exit(0)
    case .version:
        Output.out(Usage.version)
        Output.exit(0)
    case .command(let ce):
        let status = runner.run(ce, reading: false)
        Output.exit(status == 0 ? 0 : 255)
    }
} catch {
    Output.err(error.message)
    Output.exit(error.status)
}
