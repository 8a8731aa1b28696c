#!/usr/bin/env python3
"""SMTP peers for the SMTP_CHECK comparison (scripts/checkers-compare), all in one process (python starts slowly
in the emulated VM): smtp.py HELO_LOG MODE:ADDR:PORT...

  ok       aiosmtpd: 220 banner, HELO answered 250; each HELO name appended to HELO_LOG
  refuse   aiosmtpd: 220 banner, HELO answered 550
  banner   a 554 greeting, then silence
  silent   accepts connections and never answers
"""
import asyncio
import sys

from aiosmtpd.smtp import SMTP


class Ok:
    def __init__(self, log):
        self.log = log

    async def handle_HELO(self, server, session, envelope, hostname):
        session.host_name = hostname
        with open(self.log, "a") as f:
            f.write(hostname + "\n")
        return "250 mx.test"


class Refuse:
    async def handle_HELO(self, server, session, envelope, hostname):
        return "550 HELO refused"


async def serve(mode, addr, port, log):
    loop = asyncio.get_running_loop()
    if mode == "ok":
        handler = Ok(log)
        return await loop.create_server(lambda: SMTP(handler, hostname="mx.test"), addr, port)
    if mode == "refuse":
        return await loop.create_server(lambda: SMTP(Refuse(), hostname="mx.test"), addr, port)

    async def peer(reader, writer):
        if mode == "banner":
            writer.write(b"554 mx.test no service here\r\n")
            await writer.drain()
        await reader.read()  # until the checker closes
        writer.close()
    return await asyncio.start_server(peer, addr, port)


async def main():
    log = sys.argv[1]
    servers = []
    for spec in sys.argv[2:]:
        mode, addr, port = spec.split(":")
        servers.append(await serve(mode, addr, int(port), log))
        print(f"smtp.py {mode} listening on {addr}:{port}", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


asyncio.run(main())
