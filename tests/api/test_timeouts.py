"""test_timeouts.py: a request that runs past request_timeout changes nothing.

The proxy answers 504 at its own timeout (nginx's fastcgi_read_timeout, 30 s);
gatehouse's request_timeout (25 s) sits below it, so a request either finishes
in time or is undone: a client told "failed" never finds the work done
anyway. These tests run their own `gatehouse serve` with a 1 s timeout and the
production password cost, and speak FastCGI to it directly.
"""
import json
import os
import subprocess
import tempfile
import time
import uuid

import fcgi
from gh import ADMIN_KEY, GATEHOUSE, own_server, psql


def _serve(tmp, timeout):
    # The real cost: ~0.4 s of CPU a hash.
    return own_server(tmp, "--workers", "1", env={"GATEHOUSE_REQUEST_TIMEOUT": str(timeout)},
                      unset=("GATEHOUSE_PASSWORD_COST",))


def _post(sock, uri, body):
    status, _, out = fcgi.request(sock, "POST", uri, json.dumps(body).encode(), {
        "CONTENT_TYPE": "application/json", "HTTP_AUTHORIZATION": f"Bearer {ADMIN_KEY}"})
    return status, json.loads(out)


def _existing(emails):
    listed = ",".join("'" + e + "'" for e in emails)
    rc, out, err = psql(f"SELECT email FROM gatehouse.users WHERE email IN ({listed})", role="owner")
    assert rc == 0, err
    return set(out.split()) if out else set()


def test_bulk_passwords_past_the_request_timeout_create_nobody():
    tag = uuid.uuid4().hex[:10]
    # 50 hashes at the production cost take ~20 s of CPU (10 s on two idle
    # cores): far past 1 s on any machine. Stopping costs the deadline and the
    # hash each thread had begun (0.4 s of CPU: seconds on a busy machine).
    items = [{"email": f"late-{tag}-{i}@timeout.example", "password": f"Quiet harbour lantern {i} {tag}"}
             for i in range(50)]
    with tempfile.TemporaryDirectory() as tmp:
        p, sock = _serve(tmp, 1)
        try:
            started = time.monotonic()
            status, body = _post(sock, "/api/v1/users/bulk", items)
            took = time.monotonic() - started
            assert status == 503, (status, body)
            assert "ran out of time" in json.dumps(body), body
            # It stopped hashing at the deadline rather than finishing the batch.
            assert took < 8, took
            assert _existing([i["email"] for i in items]) == set()

            # The same server creates what fits in its time.
            one = {"email": f"intime-{tag}@timeout.example", "auth_method": "sso"}
            status, body = _post(sock, "/api/v1/users/bulk", [one])
            assert status == 201, (status, body)
            assert _existing([one["email"]]) == {one["email"]}
        finally:
            p.terminate()
            p.wait(timeout=30)


def test_request_timeout_is_checked_at_start():
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GATEHOUSE_SOCKET=os.path.join(tmp, "gh.sock"),
                   GATEHOUSE_REQUEST_TIMEOUT="0")
        p = subprocess.run([GATEHOUSE, "serve", "--workers", "1"], env=env,
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0
        assert "request_timeout" in p.stderr, p.stderr
