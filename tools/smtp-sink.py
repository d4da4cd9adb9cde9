#!/usr/bin/python3
"""smtp-sink.py: a local SMTP server for development stacks and tests.

A real SMTP server (Debian's python3-aiosmtpd speaks the protocol: EHLO,
STARTTLS, AUTH, MAIL, RCPT, DATA, dot-unstuffing) that delivers every message
it accepts as one file, DIR/<time>-<pid>-<n>.eml, written whole (a temporary
name, then a rename), so a developer can open the invitation `./dev up`
sent, and a test can read what arrived. Like a real mail store it adds
Return-Path, Delivered-To and a Received line whose protocol says whether
TLS and AUTH were used (RFC 3848: ESMTP, ESMTPS, ESMTPA, ESMTPSA).

Only for loopback: it keeps everything it is sent.

  smtp-sink.py --port N --dir DIR [--host 127.0.0.1] [--ready FILE]
               [--tls-cert PEM --tls-key PEM [--implicit-tls] [--require-starttls]]
               [--auth USER:PASSWORD] [--refuse SUFFIX]… [--delay SECONDS]

--ready FILE is written once the port is bound. --auth requires AUTH with
those credentials. --refuse answers RCPT with 550 for an address ending in
SUFFIX. --delay waits that long after writing a message before accepting it,
as a busy relay does (a client that gives up meanwhile has delivered it
all the same). SIGTERM or SIGINT stops it.
"""
import argparse
import asyncio
import itertools
import os
import pathlib
import signal
import ssl
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, refuse, delay):
        self.dir = pathlib.Path(directory)
        self.refuse = [s.lower() for s in refuse]
        self.delay = delay
        self.seq = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if any(address.lower().endswith(s) for s in self.refuse):
            return "550 5.1.1 <%s>: no such mailbox here" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        tls = server.transport.get_extra_info("ssl_object") is not None  # STARTTLS or implicit
        proto = "ESMTP" + ("S" if tls else "") + ("A" if session.authenticated else "")
        head = (f"Return-Path: <{envelope.mail_from}>\r\n"
                + "".join(f"Delivered-To: <{r}>\r\n" for r in envelope.rcpt_tos)
                + f"Received: from {session.host_name or 'unknown'} by gatehouse-smtp-sink"
                f" with {proto}; {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n")
        name = f"{time.time_ns()}-{os.getpid()}-{next(self.seq)}.eml"
        tmp = self.dir / f".{name}.tmp"
        tmp.write_bytes(head.encode() + envelope.original_content)
        os.rename(tmp, self.dir / name)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 delivered to a file"


def authenticator(want):
    user, _, password = want.partition(":")

    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        # Not handled here: aiosmtpd answers 235 or 535 itself.
        return AuthResult(success=ok, handled=False)
    return check


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--ready")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--auth")
    p.add_argument("--refuse", action="append", default=[])
    p.add_argument("--delay", type=float, default=0)
    a = p.parse_args()
    os.makedirs(a.dir, exist_ok=True)

    ctx = None
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
    handler = Sink(a.dir, a.refuse, a.delay)

    def factory():
        return SMTP(handler, hostname="gatehouse-smtp-sink",
                    tls_context=None if a.implicit_tls else ctx,
                    require_starttls=a.require_starttls,
                    auth_required=bool(a.auth), auth_require_tls=False,
                    authenticator=authenticator(a.auth) if a.auth else None)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(loop.create_server(
        factory, a.host, a.port, ssl=ctx if a.implicit_tls else None, reuse_address=True))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    if a.ready:
        pathlib.Path(a.ready).write_text(f"{os.getpid()}\n")
    print(f"smtp-sink: listening on {a.host}:{a.port}, messages to {a.dir}", file=sys.stderr,
          flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()


if __name__ == "__main__":
    main()
