#!/usr/bin/env python3
"""Times VRRP takeovers for bench/vrrp-bench.sh: the master loses its link, the backup takes the VIP.

    vrrp-takeover.py --switch NS --port IFNAME --master NS --master-ip IP --backup NS --vip IP --rounds N

Each round: wait until the master holds the VIP and the backup does not (the pair is settled), wait a little
(a random fraction of a second, so the link loss falls anywhere in the advert interval), take the master's
switch port down (rtnetlink, from the switch namespace), and wait for the kernel's RTM_NEWADDR adding the VIP in
the backup's namespace. Meanwhile a raw socket in the backup's namespace stamps every advert the master sends,
so the last one heard before the takeover is known too. Then the port goes up again and the round ends when the
master has taken the VIP back (preemption). Prints one line per round:

    round N link-loss-to-vip S last-advert-to-vip S preempt-back S

in seconds, or "never" where the wait (--timeout) ran out. All times are this process's monotonic clock, read
when its select() returns: the process does nothing else while it waits, so that is within scheduling latency
of the kernel's event.
"""
import argparse
import ctypes
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

CLONE_NEWNET = 0x40000000
NETLINK_ROUTE = 0
RTMGRP_IPV4_IFADDR = 0x10
RTM_NEWLINK, RTM_NEWADDR, RTM_DELADDR = 16, 20, 21
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
IFF_UP = 0x1
IFA_ADDRESS, IFA_LOCAL = 1, 2
IPPROTO_VRRP = 112

libc = ctypes.CDLL(None, use_errno=True)


def in_namespace(name, make):
    """Runs make() with this thread in network namespace NAME: sockets made there stay in it."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + name)
        try:
            return make()
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(home)
        os.close(target)


def address_events(data):
    """(kind, address) for each RTM_NEWADDR/RTM_DELADDR (IPv4) in a netlink read."""
    offset = 0
    while offset + 16 <= len(data):
        length, kind, _, _, _ = struct.unpack_from("=IHHII", data, offset)
        if length < 16:
            break
        if kind in (RTM_NEWADDR, RTM_DELADDR):
            family = data[offset + 16]
            attribute = offset + 16 + 8
            found = {}
            while attribute + 4 <= offset + length:
                alen, atype = struct.unpack_from("=HH", data, attribute)
                if alen < 4:
                    break
                found[atype] = data[attribute + 4:attribute + alen]
                attribute += (alen + 3) & ~3
            raw = found.get(IFA_LOCAL) or found.get(IFA_ADDRESS)
            if family == socket.AF_INET and raw and len(raw) == 4:
                yield ("add" if kind == RTM_NEWADDR else "del"), socket.inet_ntoa(raw)
        offset += (length + 3) & ~3


def holds(namespace, vip):
    out = subprocess.run(["ip", "-n", namespace, "-o", "-4", "addr", "show"], capture_output=True, text=True).stdout
    return (" %s/" % vip) in out


class Pair:
    def __init__(self, args):
        self.args = args
        self.watch = {}
        for role, name in (("master", args.master), ("backup", args.backup)):
            def make():
                s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
                s.bind((0, RTMGRP_IPV4_IFADDR))
                return s
            self.watch[in_namespace(name, make)] = role
        self.adverts = in_namespace(args.backup, lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_VRRP))
        self.link = in_namespace(args.switch, lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE))
        self.port = in_namespace(args.switch, lambda: socket.if_nametoindex(args.port))
        self.last_advert = None
        self.sequence = 0

    def set_port(self, up):
        self.sequence += 1
        message = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, self.port, IFF_UP if up else 0, IFF_UP)
        header = struct.pack("=IHHII", 16 + len(message), RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, self.sequence, 0)
        self.link.send(header + message)
        reply = self.link.recv(65536)
        _, kind, _, _, _ = struct.unpack_from("=IHHII", reply, 0)
        if kind == NLMSG_ERROR and struct.unpack_from("=i", reply, 16)[0] != 0:
            raise OSError(-struct.unpack_from("=i", reply, 16)[0], "RTM_NEWLINK on %s" % self.args.port)

    def wait_for(self, role, kind, deadline):
        """Waits for a KIND (add/del) event of the VIP in ROLE's namespace; its time, or None at the deadline.
        Stamps the master's adverts meanwhile (kind "none": just that, until the deadline)."""
        vip = self.args.vip
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select(list(self.watch) + [self.adverts], [], [], left)
            now = time.monotonic()
            for s in ready:
                if s is self.adverts:
                    packet, (source, _) = s.recvfrom(65536)
                    if source == self.args.master_ip:
                        self.last_advert = now
                    continue
                data = s.recv(65536)
                if self.watch[s] == role and (kind, vip) in address_events(data):
                    return now

    def settled(self, deadline):
        while time.monotonic() < deadline:
            if holds(self.args.master, self.args.vip) and not holds(self.args.backup, self.args.vip):
                return True
            time.sleep(0.1)
        return False


def fmt(value):
    return "never" if value is None else "%.3f" % value


def main():
    parser = argparse.ArgumentParser()
    for option in ("switch", "port", "master", "master-ip", "backup", "vip"):
        parser.add_argument("--" + option, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--advert-int", type=float, default=1)
    args = parser.parse_args()
    pair = Pair(args)
    if not pair.settled(time.monotonic() + args.timeout):
        print("error: the master never held %s alone" % args.vip, flush=True)
        sys.exit(1)
    for number in range(1, args.rounds + 1):
        # Settled for a few adverts (stamping them), then the cut at a random phase of the advert interval.
        pair.last_advert = None
        pair.wait_for("backup", "none", time.monotonic() + (3 + random.uniform(0, 1)) * args.advert_int)
        last = pair.last_advert
        cut = time.monotonic()
        pair.set_port(False)
        took = pair.wait_for("backup", "add", cut + args.timeout)
        pair.set_port(True)
        up = time.monotonic()
        back = pair.wait_for("master", "add", up + args.timeout)
        print("round %d link-loss-to-vip %s last-advert-to-vip %s preempt-back %s" % (
            number, fmt(None if took is None else took - cut),
            fmt(None if took is None or last is None else took - last),
            fmt(None if back is None else back - up)), flush=True)
        if not pair.settled(time.monotonic() + args.timeout):
            print("error: the master did not take %s back alone after round %d" % (args.vip, number), flush=True)
            sys.exit(1)


if __name__ == "__main__":
    main()
