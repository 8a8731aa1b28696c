#!/usr/bin/env python3
"""Long-lived HTTP/1.1 keep-alive connections to VIP:80 for the ECMP lab, each asking every INTERVAL seconds.

    flows.py VIP COUNT STATUS_FILE [INTERVAL]

Opens COUNT connections (each its own source port, so the router's L4 hash spreads them over the directors) and
keeps them busy. A connection is dead once the other end resets or closes it, answers anything but 200, or leaves
a request unanswered for 20 s; a request that waits (while the routers converge) is not a failure. Every 0.5 s
STATUS_FILE is rewritten (atomically) with one line per connection: `PORT OKS STATE SERVER`, STATE being `alive`
or `dead:REASON`. Ends on SIGTERM.
"""
import os
import select
import signal
import socket
import sys
import time

vip, count, status_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
interval = float(sys.argv[4]) if len(sys.argv) > 4 else 0.3
request = b"GET / HTTP/1.1\r\nHost: " + vip.encode() + b"\r\n\r\n"
stopping = False


def stop(*_):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)


class Flow:
    def __init__(self):
        self.sock = socket.create_connection((vip, 80), timeout=10)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.oks, self.server, self.dead = 0, "-", None
        self.waiting_since, self.next_send, self.pending = None, 0.0, b""

    def fail(self, reason):
        self.dead = reason
        self.sock.close()

    def send(self, now):
        try:
            self.sock.sendall(request)
            self.waiting_since = now
        except BlockingIOError:
            pass  # the send buffer is full: the network is stalled; try again next round
        except OSError as error:
            self.fail(type(error).__name__)

    def receive(self, now):
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as error:
            return self.fail(type(error).__name__)
        if not chunk:
            return self.fail("closed")
        self.pending += chunk
        while b"\r\n\r\n" in self.pending:
            head, _, rest = self.pending.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            if not lines[0].startswith("HTTP/1.1 200 "):
                return self.fail("status:" + lines[0].replace(" ", "_"))
            length = next((int(l.split(":", 1)[1]) for l in lines if l.lower().startswith("content-length:")), 0)
            if len(rest) < length:
                return
            body, self.pending = rest[:length], rest[length:]
            self.oks += 1
            self.server = body.decode("latin-1").strip() or "-"
            self.waiting_since, self.next_send = None, now + interval


flows = []
for _ in range(count):
    flows.append(Flow())
last_write = 0.0
while not stopping:
    now = time.monotonic()
    for f in flows:
        if f.dead is None and f.waiting_since is None and now >= f.next_send:
            f.send(now)
    waiting = [f for f in flows if f.dead is None and f.waiting_since is not None]
    if waiting:
        readable, _, _ = select.select([f.sock for f in waiting], [], [], 0.05)
        now = time.monotonic()
        for f in waiting:
            if f.sock in readable:
                f.receive(now)
            elif now - f.waiting_since > 20:
                f.fail("timeout")
    else:
        time.sleep(0.05)
    if now - last_write >= 0.5:
        last_write = now
        with open(status_path + ".tmp", "w") as out:
            for f in flows:
                out.write("%d %d %s %s\n" % (f.port, f.oks, "alive" if f.dead is None else "dead:" + f.dead, f.server))
        os.replace(status_path + ".tmp", status_path)
