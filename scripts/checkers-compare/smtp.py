#!/usr/bin/env python3
"""SMTP peers for the SMTP_CHECK comparison (scripts/checkers-compare).

  smtp.py ok ADDR PORT HELO_LOG   aiosmtpd: 220 banner, HELO answered 250; each HELO name appended to HELO_LOG
  smtp.py refuse ADDR PORT        aiosmtpd: 220 banner, HELO answered 550
  smtp.py banner ADDR PORT        a 554 greeting, then silence
  smtp.py silent ADDR PORT        accepts connections and never answers
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


async def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    loop = asyncio.get_running_loop()
    if mode == "ok":
        handler = Ok(sys.argv[4])
        server = await loop.create_server(lambda: SMTP(handler, hostname="mx.test"), addr, port)
    elif mode == "refuse":
        server = await loop.create_server(lambda: SMTP(Refuse(), hostname="mx.test"), addr, port)
    else:
        async def peer(reader, writer):
            if mode == "banner":
                writer.write(b"554 mx.test no service here\r\n")
                await writer.drain()
            await reader.read()  # until the checker closes
            writer.close()
        server = await asyncio.start_server(peer, addr, port)
    print(f"smtp.py {mode} listening on {addr}:{port}", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
