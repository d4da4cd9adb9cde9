"""test_server.py: how workers hold nginx's kept connections — no request waits behind one, and SIGTERM drops none."""
import http.client
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid

import fcgi
from gh import ADMIN_KEY, GATEHOUSE, ROOT, URL, psql, wait_until

_host = urllib.parse.urlsplit(URL)


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP/1.1 to an nginx that listens on a unix socket (no port to share)."""

    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


def _create_body():
    email = f"kept-{uuid.uuid4().hex[:12]}@server.example"
    return email, f'{{"email":"{email}","auth_method":"sso"}}'


def _run_clients(n, fn):
    """Runs fn(index) in n threads started together; returns their exceptions."""
    errors = []
    start = threading.Barrier(n)

    def body(i):
        try:
            start.wait(timeout=10)
            fn(i)
        except Exception as e:  # reported by the caller, with every other client's
            errors.append(f"client {i}: {e!r}")
    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a client hung"
    return errors


def _users_existing(emails):
    """The subset of emails that are users now (as the owner, across orgs)."""
    if not emails:
        return set()
    quoted = ",".join(f"'{e}'" for e in emails)   # generated above: hex and fixed text only
    rc, out, err = psql(f"SELECT email FROM gatehouse.users WHERE email IN ({quoted})", role="owner")
    assert rc == 0, err
    return set(out.split())


# --- kept connections -------------------------------------------------------

def test_more_kept_connections_than_workers_answer_every_request_promptly():
    # 32 keep-alive clients over the test stack's 4 workers: nginx opens far
    # more upstream connections than there are workers and keeps some. Each
    # request must be answered, and soon: none may wait for a worker to be
    # released by a connection nobody is using.
    clients, per_client, bound = 32, 50, 2.0
    slow, created = [], []

    def client(i):
        conn = http.client.HTTPConnection(_host.hostname, _host.port, timeout=30)
        try:
            for n in range(per_client):
                t0 = time.monotonic()
                if n % 5 == 4:      # a POST on a reused connection every few requests
                    email, body = _create_body()
                    conn.request("POST", "/api/v1/users", body=body, headers={
                        "Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"})
                    want = 201
                else:
                    conn.request("GET", "/api/v1/me", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
                    want = 200
                r = conn.getresponse()
                r.read()
                took = time.monotonic() - t0
                assert r.status == want, f"request {n}: {r.status}"
                if want == 201:
                    created.append(email)
                if took > bound:
                    slow.append(f"client {i} request {n}: {took:.2f} s")
        finally:
            conn.close()

    started = time.monotonic()
    errors = _run_clients(clients, client)
    assert not errors, errors[:5]
    assert not slow, f"{len(slow)} requests over {bound} s: {slow[:5]}"
    assert len(created) == clients * per_client // 5
    assert _users_existing(created) == set(created), "every answered POST created its user"
    assert time.monotonic() - started < 30


# --- SIGTERM ----------------------------------------------------------------

def _own_stack(tmp, workers):
    """gatehouse serve on its own socket and an nginx from nginx/dev.conf.in in
    front of it, listening on a unix socket; returns (gatehouse Popen, http socket path)."""
    for d in ("run", "log", "nginx"):
        os.makedirs(os.path.join(tmp, d))
    os.chmod(tmp, 0o755)        # nginx's workers run as www-data under root
    os.chmod(os.path.join(tmp, "run"), 0o755)
    sock = os.path.join(tmp, "run", "gh.sock")
    env = dict(os.environ, GATEHOUSE_SOCKET=sock, GATEHOUSE_SOCKET_MODE="666",
               GATEHOUSE_MAX_REQUESTS="0")
    log = open(os.path.join(tmp, "log", "gatehouse.log"), "wb")
    p = subprocess.Popen([GATEHOUSE, "serve", "--workers", str(workers)], env=env,
                         stdout=log, stderr=log)
    wait_until(lambda: os.path.exists(sock) and fcgi.get(sock, "/healthz")[0] == 200)
    http_sock = os.path.join(tmp, "run", "http.sock")
    conf = (ROOT / "nginx" / "dev.conf.in").read_text()
    conf = (conf.replace("127.0.0.1:@PORT@", f"unix:{http_sock}")
            .replace("@STATE@", tmp).replace("@SOCKET@", sock)
            .replace("@USER@", "user www-data;" if os.getuid() == 0 else "")
            # A unix-socket client's address is "unix:": the audit trail records none.
            .replace("@FASTCGI_PARAMS@", "/etc/nginx/fastcgi_params"))
    conf_path = os.path.join(tmp, "nginx", "nginx.conf")
    with open(conf_path, "w") as f:
        f.write(conf)
    subprocess.run(["nginx", "-e", os.path.join(tmp, "log", "nginx-error.log"),
                    "-p", os.path.join(tmp, "nginx"), "-c", conf_path], check=True, timeout=30)
    return p, http_sock


def _stop_nginx(tmp):
    pid_file = os.path.join(tmp, "run", "nginx.pid")
    if not os.path.exists(pid_file):
        return
    pid = int(open(pid_file).read())
    os.kill(pid, signal.SIGQUIT)
    wait_until(lambda: not os.path.exists(f"/proc/{pid}"), timeout=15)


def test_sigterm_under_load_answers_every_post_a_worker_accepted():
    # Clients keep creating users through nginx while the master is told to
    # stop. Every request gets an HTTP answer: a user that was created was
    # answered 201; anything else is nginx's 502 for a connection it could not
    # open (the socket was gone), and then no user was created. A request
    # nginx had sent, on a kept connection or into the backlog, is never cut
    # off: nginx logged no reset or early close.
    clients = 12
    results = []            # (email, status)
    with tempfile.TemporaryDirectory() as tmp:
        p, http_sock = _own_stack(tmp, workers=2)
        stop_at = [float("inf")]

        def client(i):
            conn = _UnixHTTPConnection(http_sock, timeout=30)
            try:
                while time.monotonic() < stop_at[0]:
                    email, body = _create_body()
                    conn.request("POST", "/api/v1/users", body=body, headers={
                        "Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"})
                    r = conn.getresponse()
                    r.read()
                    results.append((email, r.status))
                    if r.status != 201:
                        time.sleep(0.01)    # nginx refuses at once once the socket is gone
            finally:
                conn.close()

        def signal_later():
            time.sleep(0.7)
            stop_at[0] = time.monotonic() + 0.5     # clients send on past the signal
            p.send_signal(signal.SIGTERM)

        try:
            threading.Thread(target=signal_later).start()
            t0 = time.monotonic()
            errors = _run_clients(clients, client)
            assert p.wait(timeout=15) == 0
            took = time.monotonic() - t0
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            _stop_nginx(tmp)
        with open(os.path.join(tmp, "log", "nginx-error.log")) as f:
            upstream = [line for line in f if "upstream" in line]
    assert not errors, errors[:5]
    statuses = {s for _, s in results}
    assert statuses <= {201, 502}, statuses
    answered = {e for e, s in results if s == 201}
    refused = {e for e, s in results if s == 502}
    assert len(answered) > 50, f"only {len(answered)} users created: the test did not load the stack"
    exist = _users_existing(answered | refused)
    assert exist == answered, (f"created but refused: {sorted(exist - answered)[:5]}; "
                               f"answered but missing: {sorted(answered - exist)[:5]}")
    cut = [line for line in upstream if "connect() to unix:" not in line]
    assert not cut, cut[:3]
    # The drain ends once nginx lets its idle connections go (1 s), not at
    # the master's 30 s deadline.
    assert took < 10, took


def test_sigterm_while_a_connection_is_being_accepted_drops_nothing():
    # The worker has accepted the connection but not yet read a whole request:
    # nothing sent yet, or half of the parameters. SIGTERM now must not lose it.
    for cut in ("connected", "half the parameters"):
        with tempfile.TemporaryDirectory() as tmp:
            sock = os.path.join(tmp, "gh.sock")
            env = dict(os.environ, GATEHOUSE_SOCKET=sock, GATEHOUSE_SOCKET_MODE="600")
            log = open(os.path.join(tmp, "log"), "wb")
            p = subprocess.Popen([GATEHOUSE, "serve", "--workers", "1"], env=env, stdout=log, stderr=log)
            try:
                wait_until(lambda: os.path.exists(sock) and fcgi.get(sock, "/healthz")[0] == 200)
                s = fcgi.connect(sock)
                head = fcgi._record(fcgi.BEGIN, bytes([0, 1, 0, 0, 0, 0, 0, 0]))
                params = fcgi._record(fcgi.PARAMS, b"".join(fcgi._nv(k, v) for k, v in {
                    "REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz", "CONTENT_LENGTH": "0",
                    "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1"}.items()))
                rest = head + params + fcgi._record(fcgi.PARAMS, b"") + fcgi._record(fcgi.STDIN, b"")
                if cut == "half the parameters":
                    split = len(head) + len(params) // 2
                    s.sendall(rest[:split])
                    rest = rest[split:]
                time.sleep(0.3)                     # accepted, waiting for the rest
                p.send_signal(signal.SIGTERM)
                time.sleep(0.3)
                assert p.poll() is None, f"{cut}: the master waits for the accepted connection"
                s.sendall(rest)
                status, _, body = fcgi.read_response(s)
                assert status == 200 and b'"ok"' in body, (cut, status, body)
                s.close()
                assert p.wait(timeout=10) == 0, cut
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
