#!/usr/bin/env python3
"""Captures the netlink messages ipvsadm sends and the kernel's replies through an nlmon device, and writes them as
hex fixtures for IPVSKit's golden-byte tests. Runs as root inside the test VM:

    scripts/vm.sh -- python3 scripts/capture-golden.py Tests/IPVSKitTests/Fixtures

Each fixture file holds one line per netlink message: `> HEX` for a request ipvsadm sent, `< HEX` for a kernel
reply, preceded by a `# command` line."""
import os, socket, struct, subprocess, sys, time

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
subprocess.run(["ip", "link", "add", "nlmon0", "type", "nlmon"], check=True)
subprocess.run(["ip", "link", "set", "nlmon0", "up"], check=True)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("nlmon0", 0))
s.settimeout(0.2)

def family_id():
    # Resolve "IPVS" with a raw CTRL_CMD_GETFAMILY request.
    n = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
    name = b"IPVS\0"
    attr = struct.pack("=HH", 4 + len(name), 2) + name + b"\0" * ((4 - len(name) % 4) % 4)
    body = struct.pack("=BBH", 3, 1, 0) + attr
    n.send(struct.pack("=IHHII", 16 + len(body), 0x10, 0x5, 1, 0) + body)
    data = n.recv(65536)
    off = 20
    while off < len(data):
        l, t = struct.unpack_from("=HH", data, off)
        if t == 1:
            return struct.unpack_from("=H", data, off + 4)[0]
        off += (l + 3) & ~3
    raise SystemExit("no IPVS family")

fam = family_id()

def drain():
    while True:
        try:
            s.recv(1 << 20)
        except socket.timeout:
            return

def capture(name, argv):
    drain()
    r = subprocess.run(["ipvsadm"] + argv, capture_output=True, text=True)
    time.sleep(0.3)
    lines = ["# ipvsadm " + " ".join(argv) + f"  (exit {r.returncode})"]
    while True:
        try:
            frame, addr = s.recvfrom(1 << 20)
        except socket.timeout:
            break
        # nlmon frames carry the netlink message; sll pkttype tells direction (4 = outgoing from the socket = to kernel).
        msgs = []
        off = 0
        while off + 16 <= len(frame):
            l, t, f, seq, pid = struct.unpack_from("=IHHII", frame, off)
            if l < 16:
                break
            msgs.append((t, f, frame[off:off + l]))
            off += (l + 3) & ~3
        for t, f, m in msgs:
            if t != fam and t != 2 and t != 3:
                continue
            direction = ">" if (f & 0x1) else "<"
            lines.append(direction + " " + m.hex())
    with open(os.path.join(out_dir, name + ".hex"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(name, len(lines) - 1, "messages")

cases = [
    ("add-service-tcp", ["-A", "-t", "10.0.0.1:80", "-s", "rr"]),
    ("add-service-udp6-persistent", ["-A", "-u", "[2001:db8::1]:53", "-s", "wlc", "-p", "600", "-M", "64"]),
    ("add-service-fwmark-sh-flags", ["-A", "-f", "7", "-s", "sh", "-b", "sh-fallback,sh-port"]),
    ("add-service-persistent-mask-pe", ["-A", "-u", "10.0.0.3:5060", "-s", "rr", "-p", "60", "-M", "255.255.255.0", "--pe", "sip"]),
    ("add-service-sctp-ops", ["-A", "--sctp-service", "10.0.0.4:3868", "-s", "mh", "-b", "mh-port"]),
    ("add-dest-route", ["-a", "-t", "10.0.0.1:80", "-r", "192.168.1.2:80", "-g", "-w", "5"]),
    ("add-dest-masq-thresholds", ["-a", "-t", "10.0.0.1:80", "-r", "192.168.1.3:8080", "-m", "-w", "2", "-x", "100", "-y", "10"]),
    ("add-dest-tunnel-gue", ["-a", "-t", "10.0.0.1:80", "-r", "192.168.1.4", "-i", "--tun-type", "gue", "--tun-port", "6080", "--tun-csum"]),
    ("add-dest-tunnel-gre", ["-a", "-t", "10.0.0.1:80", "-r", "192.168.1.5", "-i", "--tun-type", "gre", "--tun-nocsum"]),
    ("add-dest-tunnel-ipip", ["-a", "-t", "10.0.0.1:80", "-r", "192.168.1.6", "-i"]),
    ("add-dest-v6", ["-a", "-u", "[2001:db8::1]:53", "-r", "[2001:db8::10]:53", "-m", "-w", "3"]),
    ("edit-dest-weight", ["-e", "-t", "10.0.0.1:80", "-r", "192.168.1.2:80", "-g", "-w", "9"]),
    ("edit-service", ["-E", "-t", "10.0.0.1:80", "-s", "wrr"]),
    ("set-timeouts", ["--set", "900", "120", "300"]),
    ("start-daemon", ["--start-daemon", "master", "--mcast-interface", "lo", "--syncid", "5"]),
    ("list-daemon", ["-Ln", "--daemon"]),
    ("list-timeout", ["-Ln", "--timeout"]),
    ("list-all", ["-Ln"]),
    ("stop-daemon", ["--stop-daemon", "master"]),
    ("delete-dest", ["-d", "-t", "10.0.0.1:80", "-r", "192.168.1.3:8080"]),
    ("error-dest-exists", ["-a", "-t", "10.0.0.1:80", "-r", "192.168.1.2:80", "-g"]),
    ("error-no-service", ["-D", "-t", "10.9.9.9:80"]),
    ("zero-all", ["-Z"]),
    ("delete-service", ["-D", "-t", "10.0.0.1:80"]),
    ("flush", ["-C"]),
]
for name, argv in cases:
    capture(name, argv)
