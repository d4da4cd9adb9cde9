"""pgproxy.py: a PostgreSQL wire proxy for tests that counts a client's round trips.

It sits on a unix socket between one client (a gatehouse worker) and the test
stack's PostgreSQL and reads the frontend protocol. A round trip is a batch:
every message the client sends up to and including a Sync (the extended
protocol; libpq's pipeline) or a simple Query — after each, the server answers
ReadyForQuery and the client waits for it. Authentication is not counted.
For each batch the proxy keeps the messages (type, and the statement that a
Parse names or a Bind runs) and the server's answers (command tags, errors).

A test may rewrite the next matching batch before it reaches the server
(rewrite), e.g. to reorder a pipeline's statements.
"""
import os
import re
import socket
import struct
import tempfile
import threading


def upstream_of(conninfo):
    """The unix socket path a libpq conninfo of host=DIR port=N points at."""
    host = re.search(r"\bhost=(\S+)", conninfo).group(1)
    port = re.search(r"\bport=(\d+)", conninfo).group(1)
    return os.path.join(host, f".s.PGSQL.{port}"), port


def _hang_up(*socks):
    """Either side gone: the other goes too."""
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _cstr(data, off):
    end = data.index(b"\0", off)
    return data[off:end].decode(errors="replace"), end + 1


class Message:
    """One frontend message: its type, raw bytes, and what it names."""

    def __init__(self, mtype, raw):
        self.type = mtype
        self.raw = raw
        self.stmt = None    # P: the statement it prepares; B: the statement it runs
        self.sql = None     # P: its text; B: the text of the statement it runs, if seen
        body = raw[5:]
        if mtype == "P":
            self.stmt, off = _cstr(body, 0)
            self.sql, _ = _cstr(body, off)
        elif mtype == "B":
            _, off = _cstr(body, 0)         # portal
            self.stmt, _ = _cstr(body, off)
        elif mtype == "Q":
            self.sql, _ = _cstr(body, 0)

    def __repr__(self):
        return self.type + (f"({self.stmt})" if self.stmt is not None else "")


class Batch:
    """One round trip: what the client sent, and the server's answers."""

    def __init__(self, messages):
        self.messages = messages
        self.tags = []      # CommandComplete tags, in order ("SELECT 1", "BEGIN", …)
        self.errors = []    # SQLSTATEs of ErrorResponses
        self.done = threading.Event()

    def kinds(self):
        return "".join(m.type for m in self.messages)

    def statements(self):
        """The SQL each Execute ran, in order (from the Parse of its Bind's statement)."""
        return [m.sql for m in self.messages if m.type == "B"]

    def __repr__(self):
        return f"<batch {self.messages} -> {self.tags} {self.errors}>"


class Proxy:
    def __init__(self, conninfo, ignore=None):
        """ignore: a regular expression; a batch whose SQL matches it is not
        counted (another process's statements on the same database URL)."""
        self.ignore = re.compile(ignore) if ignore else None
        self.upstream, port = upstream_of(conninfo)
        self.dir = tempfile.mkdtemp(prefix="pgproxy-")
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, f".s.PGSQL.{port}")
        self.conninfo = re.sub(r"\bhost=\S+", f"host={self.dir}", conninfo)
        self.batches = []
        self.lock = threading.Lock()
        self._rewrite = None
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(8)
        self.threads = []
        self.closing = False
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)

    def close(self):
        self.closing = True
        self.listener.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
        try:
            os.rmdir(self.dir)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def mark(self):
        with self.lock:
            return len(self.batches)

    def since(self, mark):
        """The batches after mark, each answered by the server."""
        with self.lock:
            out = self.batches[mark:]
        for b in out:
            assert b.done.wait(10), f"no answer to {b}"
        if self.ignore:
            out = [b for b in out
                   if not any(m.sql and self.ignore.search(m.sql) for m in b.messages)]
        return out

    def rewrite(self, fn):
        """fn(messages) returns the messages to send instead, or None to leave a
        batch alone; it applies to the first batch it changes, then no more."""
        with self.lock:
            self._rewrite = fn

    # --- plumbing ---------------------------------------------------------

    def _accept(self):
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.connect(self.upstream)
            state = {"pending": [], "raw_reply": 0, "names": {}}
            for fn, a, b in ((self._frontend, client, server), (self._backend, server, client)):
                t = threading.Thread(target=fn, args=(a, b, state), daemon=True)
                t.start()
                self.threads.append(t)

    @staticmethod
    def _read(sock, n, buf):
        while len(buf) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def _frontend(self, src, dst, state):
        buf = b""
        held = []
        try:
            # Startup: untyped, length-prefixed; SSL and GSS requests get a one-byte answer.
            while True:
                buf = self._read(src, 8, buf)
                length, code = struct.unpack("!ii", buf[:8])
                buf = self._read(src, length, buf)
                raw, buf = buf[:length], buf[length:]
                if code in (80877103, 80877104):
                    state["raw_reply"] += 1
                    dst.sendall(raw)
                    continue
                dst.sendall(raw)
                break
            while True:
                buf = self._read(src, 5, buf)
                length = struct.unpack("!i", buf[1:5])[0]
                buf = self._read(src, 1 + length, buf)
                raw, buf = buf[:1 + length], buf[1 + length:]
                m = Message(chr(raw[0]), raw)
                if m.type == "P":
                    state["names"][m.stmt] = m.sql
                elif m.type == "B":
                    m.sql = state["names"].get(m.stmt)
                if m.type in "PBDEC":
                    held.append(m)      # part of a pipeline: it goes with the Sync
                    continue
                if m.type in "SQ":
                    held.append(m)
                    with self.lock:
                        fn = self._rewrite
                    if fn is not None and m.type == "S":
                        new = fn(held)
                        if new is not None:
                            held = new
                            with self.lock:
                                self._rewrite = None
                    b = Batch(held)
                    with self.lock:
                        self.batches.append(b)
                        state["pending"].append(b)
                    dst.sendall(b"".join(x.raw for x in held))
                    held = []
                    continue
                # Authentication, Flush, Terminate: not a round trip of ours.
                dst.sendall(b"".join(x.raw for x in held) + raw)
                held = []
        except (EOFError, OSError):
            pass
        finally:
            _hang_up(src, dst)

    def _backend(self, src, dst, state):
        buf = b""
        try:
            while True:
                if state["raw_reply"]:
                    buf = self._read(src, 1, buf)
                    dst.sendall(buf[:1])
                    buf = buf[1:]
                    state["raw_reply"] -= 1
                    continue
                buf = self._read(src, 5, buf)
                length = struct.unpack("!i", buf[1:5])[0]
                buf = self._read(src, 1 + length, buf)
                raw, buf = buf[:1 + length], buf[1 + length:]
                mtype = chr(raw[0])
                with self.lock:
                    b = state["pending"][0] if state["pending"] else None
                if b is not None and mtype == "C":
                    b.tags.append(_cstr(raw, 5)[0])
                elif b is not None and mtype == "E":
                    fields = raw[5:].split(b"\0")
                    b.errors += [f[1:].decode() for f in fields if f[:1] == b"C"]
                elif b is not None and mtype == "Z":
                    with self.lock:
                        state["pending"].pop(0)
                    b.done.set()
                dst.sendall(raw)
        except (EOFError, OSError):
            pass
        finally:
            _hang_up(src, dst)
