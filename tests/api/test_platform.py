"""test_platform.py: health, request handling, API-key auth, tenant isolation, the process model, the CLI."""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

import fcgi
from gh import (ADMIN_KEY, GATEHOUSE, ROOT, STATE, ctl, expect, get, kill_worker, make_key,
                make_org, make_user, master_pid, own_server, pgctl, post, psql, request, split_key,
                update, wait_until, workers)


# --- health -----------------------------------------------------------------

def test_healthz_answers_without_database():
    r = expect(get("/healthz"), 200)
    assert r.json() == {"status": "ok"}


def test_readyz_reports_schema_version_matching_highest_migration():
    r = expect(get("/readyz"), 200)
    files = sorted(p.name for p in (ROOT / "sql").glob("[0-9][0-9][0-9]_*.sql"))
    assert r.json()["status"] == "ready"
    assert r.json()["schema_version"] == int(files[-1][:3]), "bump SCHEMA_VERSION in db.h"


def test_every_response_carries_security_headers():
    for r in (get("/healthz"), get("/nope"), get("/api/v1/me")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in r.headers["content-security-policy"]
        assert r.headers["referrer-policy"] == "no-referrer"


def test_request_id_is_generated():
    a, b = get("/healthz"), get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{24}", a.headers["x-request-id"])
    assert a.headers["x-request-id"] != b.headers["x-request-id"]


def test_sane_incoming_request_id_is_honoured():
    r = get("/healthz", headers={"X-Request-Id": "abc-123_X.y"})
    assert r.headers["x-request-id"] == "abc-123_X.y"


def test_unsafe_incoming_request_id_is_replaced():
    for bad in ("has space", "x" * 65, "semi;colon", "quote\"d"):
        r = get("/healthz", headers={"X-Request-Id": bad})
        assert re.fullmatch(r"[0-9a-f]{24}", r.headers["x-request-id"]), bad


# --- routing and parsing ----------------------------------------------------

def test_unknown_path_is_404_problem_json():
    r = expect(get("/api/v1/no-such-thing"), 404)
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 404 and body["title"] == "Not Found"
    assert body["request_id"] == r.headers["x-request-id"]


def test_wrong_method_is_405_with_allow():
    r = expect(post("/healthz"), 405)
    assert r.headers["allow"] == "GET, HEAD"


def test_head_is_answered_like_get_without_body():
    r = expect(request("HEAD", "/healthz"), 200)
    assert r.body == b""
    assert int(r.headers["content-length"]) == len(b'{"status":"ok"}')


def test_body_over_limit_is_413():
    r = expect(get("/api/v1/me", key=ADMIN_KEY, body=b"a=" + b"x" * (1100 * 1024),
                   content_type="application/x-www-form-urlencoded"), 413)
    assert "larger than" in r.json()["detail"]


def test_unsupported_content_type_is_415():
    r = expect(get("/api/v1/me", key=ADMIN_KEY, body="hello", content_type="text/plain"), 415)
    assert "Content-Type" in r.json()["detail"]


def test_malformed_json_is_400():
    r = expect(get("/api/v1/me", key=ADMIN_KEY, body='{"a":', content_type="application/json"), 400)
    assert "malformed JSON" in r.json()["detail"]


def test_json_nested_too_deep_is_400_naming_the_limit():
    body = "[" * 40 + "]" * 40
    r = expect(get("/api/v1/me", key=ADMIN_KEY, body=body, content_type="application/json"), 400)
    assert "deeper than 32" in r.json()["detail"]


def test_json_duplicate_member_is_400_naming_it():
    r = expect(get("/api/v1/me", key=ADMIN_KEY, body='{"email":"a","email":"b"}',
                   content_type="application/json"), 400)
    assert r.json()["field"] == "email"


def test_malformed_form_is_400_naming_the_field():
    r = expect(get("/api/v1/me", key=ADMIN_KEY, body="ok=1&name=%zz",
                   content_type="application/x-www-form-urlencoded"), 400)
    assert r.json()["field"] == "name"
    assert "percent-encoding" in r.json()["detail"]


def test_too_many_fields_is_400_naming_the_limit():
    body = "&".join(f"f{i}=1" for i in range(300))
    r = expect(get("/api/v1/me", key=ADMIN_KEY, body=body,
                   content_type="application/x-www-form-urlencoded"), 400)
    assert "too many fields (limit 256)" in r.json()["detail"]


def test_field_too_long_is_400():
    body = "name=" + "x" * (65 * 1024)
    r = expect(get("/api/v1/me", key=ADMIN_KEY, body=body,
                   content_type="application/x-www-form-urlencoded"), 400)
    assert r.json()["field"] == "name"


def test_multipart_file_upload_is_refused_naming_the_field():
    b = "XyZ"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n\r\n"
            f"hi\r\n--{b}--\r\n")
    r = expect(get("/api/v1/me", key=ADMIN_KEY, body=body,
                   content_type=f"multipart/form-data; boundary={b}"), 415)
    assert r.json()["field"] == "doc"


def test_well_formed_bodies_of_each_type_are_accepted():
    b = "XyZ"
    multipart = f"--{b}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--{b}--\r\n"
    for body, ct in (('{"a":1}', "application/json"), ("a=1", "application/x-www-form-urlencoded"),
                     (multipart, f"multipart/form-data; boundary={b}"),
                     ('{"a":1}', "application/scim+json")):
        expect(get("/api/v1/me", key=ADMIN_KEY, body=body, content_type=ct), 200)


# --- API keys ---------------------------------------------------------------

def test_me_answers_the_admin_principal():
    me = expect(get("/api/v1/me", key=ADMIN_KEY), 200).json()
    assert me["org"]["name"] == "default"
    assert me["user"]["email"] == "admin@example.com"
    assert me["access_level"] == "super"
    assert split_key(ADMIN_KEY)[0] == me["key"]["id"]


def test_missing_key_is_401_with_challenge():
    r = expect(get("/api/v1/me"), 401)
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_malformed_wrong_and_unknown_keys_are_401_alike():
    prefix, secret = split_key(ADMIN_KEY)
    wrong_secret = prefix + "_" + ("A" if secret[0] != "A" else "B") + secret[1:]
    org, kid = re.fullmatch(r"gh_(\d+)k(\d+)", prefix).groups()
    unknown = f"gh_{org}k{int(kid) + 1000000}_{secret}"
    details = set()
    for bad in ("nonsense", "gh_1k1_short", wrong_secret, unknown, ADMIN_KEY + "x"):
        r = expect(get("/api/v1/me", key=bad), 401)
        details.add(r.json()["detail"])
    assert details == {"invalid API key"}, "every failure must look the same"


def test_basic_scheme_is_not_accepted_for_the_native_api():
    expect(get("/api/v1/me", headers={"Authorization": f"Basic {ADMIN_KEY}"}), 401)


def test_revoked_key_stops_working_at_once():
    org, _ = make_org()
    email = make_user(org, "admin")
    key = make_key(org, email)
    expect(get("/api/v1/me", key=key), 200)
    ctl("key", "revoke", "--org", org, split_key(key)[0])
    # The README's promise: within the notification's delivery (well under a
    # millisecond), which reaches the worker after the revoking COMMIT returns.
    start = time.monotonic()
    wait_until(lambda: get("/api/v1/me", key=key).status == 401, timeout=1.0, interval=0.001)
    assert time.monotonic() - start < 0.25, "revocation took longer than its notification"
    for _ in range(20):
        expect(get("/api/v1/me", key=key), 401)


def test_revoking_twice_or_an_unknown_key_is_not_found():
    org, _ = make_org()
    email = make_user(org)
    ref = split_key(make_key(org, email))[0]
    ctl("key", "revoke", "--org", org, ref)
    assert ctl("key", "revoke", "--org", org, ref, check=False)[0] == 3
    assert ctl("key", "revoke", "--org", org, "gh_1k999999999", check=False)[0] == 3


def test_expired_key_is_401():
    org, _ = make_org()
    email = make_user(org)
    key = make_key(org, email, "--expires-in", "1")
    for _ in range(8):                       # every worker has it cached
        expect(get("/api/v1/me", key=key), 200)
    time.sleep(1.05)                         # just past the expiry: not a second later
    for _ in range(8):
        expect(get("/api/v1/me", key=key), 401)


def test_key_of_inactive_user_is_401():
    org, org_id = make_org()
    email = make_user(org)
    key = make_key(org, email)
    expect(get("/api/v1/me", key=key), 200)
    update(f"UPDATE gatehouse.users SET status = 'suspended' WHERE email = '{email}'", 1, tenant=org_id)
    # As for revocation: within the notification's delivery, which reaches the
    # worker after the suspending COMMIT returns (README, "API keys").
    start = time.monotonic()
    wait_until(lambda: get("/api/v1/me", key=key).status == 401, timeout=1.0, interval=0.001)
    assert time.monotonic() - start < 0.25, "suspension took longer than its notification"
    for _ in range(20):
        expect(get("/api/v1/me", key=key), 401)


def test_key_use_is_recorded_in_last_used_at():
    org, org_id = make_org()
    email = make_user(org)
    key = make_key(org, email)
    kid = re.fullmatch(r"gh_\d+k(\d+)_.*", key).group(1)
    expect(get("/api/v1/me", key=key), 200)
    rc, out, _ = psql(f"SELECT last_used_at IS NOT NULL FROM gatehouse.api_keys WHERE id = {kid}",
                      tenant=org_id)
    assert (rc, out) == (0, "t")


def test_only_the_digest_of_a_key_is_stored():
    org, org_id = make_org()
    key = make_key(org, make_user(org))
    secret = split_key(key)[1]
    rc, out, _ = psql("SELECT encode(digest, 'hex') FROM gatehouse.api_keys", tenant=org_id)
    assert rc == 0 and secret not in out
    import hashlib
    assert hashlib.sha256(secret.encode()).hexdigest() in out.split()


def log_with(rid):
    """The log once a line with rid is in it: a worker writes its access lines
    just after it has answered the requests it had, not before the answer."""
    def log():
        text = (STATE / "log" / "gatehouse.log").read_text()
        return text if rid in text else None
    return wait_until(log, timeout=5.0, interval=0.02)


def test_secrets_never_reach_the_log():
    rid = "secret-check-" + os.urandom(4).hex()
    expect(get("/api/v1/me", key=ADMIN_KEY), 200)
    get("/api/v1/me?auth_token=supersecretvalue", key=ADMIN_KEY, headers={"X-Request-Id": rid})
    log = log_with(rid)
    assert split_key(ADMIN_KEY)[1] not in log
    assert "supersecretvalue" not in log
    # The request that carried the secret was logged, or the checks above prove
    # nothing: found by its own request id, not by any earlier line of the route.
    ours = [l for l in log.splitlines() if rid in l]
    assert len(ours) == 1 and '"route":"/api/v1/me"' in ours[0], ours


def test_access_log_has_one_json_line_per_request():
    rid = "log-check-" + os.urandom(4).hex()
    get("/healthz", headers={"X-Request-Id": rid})
    lines = [l for l in log_with(rid).splitlines() if rid in l]
    assert len(lines) == 1
    import json
    entry = json.loads(lines[0])
    assert entry["type"] == "access" and entry["status"] == 200 and entry["method"] == "GET"
    assert entry["route"] == "/healthz" and entry["ms"] >= 0


# --- tenant isolation -------------------------------------------------------

def test_each_key_sees_only_its_own_org():
    a, _ = make_org()
    b, _ = make_org()
    ka, kb = make_key(a, make_user(a, "admin")), make_key(b, make_user(b, "admin"))
    assert get("/api/v1/me", key=ka).json()["org"]["name"] == a
    assert get("/api/v1/me", key=kb).json()["org"]["name"] == b


def test_key_id_moved_to_another_org_is_401():
    a, a_id = make_org()
    b, b_id = make_org()
    ka = make_key(a, make_user(a))
    forged = ka.replace(f"gh_{a_id}k", f"gh_{b_id}k", 1)
    expect(get("/api/v1/me", key=forged), 401)


def test_row_level_security_scopes_the_service_role_to_its_tenant():
    a, a_id = make_org()
    b, b_id = make_org()
    ea, eb = make_user(a), make_user(b)
    rc, out, err = psql("SELECT email FROM gatehouse.users", tenant=a_id)
    assert rc == 0, err
    assert ea in out.split() and eb not in out
    rc, out, _ = psql("SELECT count(*) FROM gatehouse.users")
    assert (rc, out) == (0, "0"), "no tenant set: no rows"
    rc, out, _ = psql("SELECT count(*) FROM gatehouse.orgs", tenant=a_id)
    assert (rc, out) == (0, "1")
    rc, _, err = psql(f"INSERT INTO gatehouse.teams (org_id, name) VALUES ({b_id}, 'x')", tenant=a_id)
    assert rc != 0 and "row-level security" in err


def test_service_role_owns_nothing_and_cannot_bypass_rls():
    rc, out, _ = psql("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
    assert (rc, out) == (0, "f|f")
    rc, out, _ = psql("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
    assert (rc, out) == (0, "0")
    rc, out, _ = psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'gatehouse' AND NOT rowsecurity "
                      "AND tablename <> 'schema_migrations'")
    assert (rc, out) == (0, "0"), "every tenant table has row-level security"


def test_audit_log_is_append_only_for_the_service():
    org, org_id = make_org()
    make_user(org)
    rc, out, _ = psql("SELECT count(*) FROM gatehouse.audit_events WHERE action = 'user.create'",
                      tenant=org_id)
    assert (rc, out) == (0, "1")
    rc, _, err = psql("UPDATE gatehouse.audit_events SET action = 'x'", tenant=org_id)
    assert rc != 0 and "permission denied" in err
    rc, _, err = psql("DELETE FROM gatehouse.audit_events", tenant=org_id)
    assert rc != 0 and "permission denied" in err


# --- operator CLI -----------------------------------------------------------

def test_cli_exit_codes_are_stable():
    org, _ = make_org()
    assert ctl("org", "create", org, check=False)[0] == 4, "exists"
    assert ctl("org", "create", org.upper(), check=False)[0] == 4, "names are case-insensitive"
    assert ctl("user", "create", "--org", "no-such-org-x", "--email", "a@b.co", check=False)[0] == 3
    assert ctl("user", "create", "--org", org, "--email", "not-an-email", check=False)[0] == 6
    assert ctl("user", "create", "--org", org, "--email", "a@b.co", "--level", "root",
               check=False)[0] == 6
    assert ctl("frobnicate", check=False)[0] == 2
    assert ctl("org", "create", "x", "--bogus", "1", check=False)[0] == 2
    assert ctl("org", "create", "bad tier org", "--tier", "Not OK", check=False)[0] == 6
    email = make_user(org)
    assert ctl("user", "create", "--org", org, "--email", email.upper(), check=False)[0] == 4


def test_cli_key_create_prints_a_working_key_once():
    org, _ = make_org()
    rc, key, err = ctl("key", "create", "--org", org, "--user", make_user(org))
    assert rc == 0 and re.fullmatch(r"gh_\d+k\d+_[A-Za-z0-9_-]{43}", key), key
    assert err == ""
    expect(get("/api/v1/me", key=key), 200)


def test_migrate_is_idempotent():
    rc, out, _ = ctl("migrate")
    assert rc == 0 and "0 migration(s) applied" in out


# --- process model ----------------------------------------------------------

def test_worker_killed_with_sigkill_is_replaced():
    master = master_pid()
    before = workers(master)
    assert before, "workers running"
    kill_worker(before[0])
    wait_until(lambda: len(workers(master)) == len(before) and before[0] not in workers(master))
    for _ in range(20):
        expect(get("/api/v1/me", key=ADMIN_KEY), 200)


def test_sighup_replaces_workers_and_keeps_serving():
    master = master_pid()
    before = set(workers(master))
    os.kill(master, signal.SIGHUP)
    seen = []

    def replaced():
        # Every old worker gone and a full new generation up (a slot that was
        # mid-restart when `before` was taken is retired, not refilled).
        now = set(workers(master))
        seen.append(sorted(now))
        return len(now) >= len(before) and not now & before
    try:
        wait_until(replaced)
    except AssertionError:
        raise AssertionError(f"before {sorted(before)}, last seen {seen[-1]}")
    for _ in range(20):
        expect(get("/api/v1/me", key=ADMIN_KEY), 200)


def test_postgres_restart_recovers_without_restarting_gatehouse():
    master = master_pid()
    before = workers(master)
    pgctl("stop")
    try:
        r = get("/readyz")
        assert r.status == 503 and r.json()["reason"] == "database unreachable", r
        r = get("/api/v1/me", key=ADMIN_KEY)
        assert r.status == 503 and r.headers.get("retry-after") == "1", r
    finally:
        pgctl("start")
    wait_until(lambda: get("/readyz").status == 200)
    for _ in range(20):
        expect(get("/api/v1/me", key=ADMIN_KEY), 200)
    assert workers(master) == before, "no worker was restarted"


def test_postgres_restart_under_idle_connections_costs_no_request():
    for _ in range(10):
        expect(get("/api/v1/me", key=ADMIN_KEY), 200)
    pgctl("restart")
    # Each worker's connection died with the server; the first use reconnects and retries.
    for _ in range(20):
        expect(get("/api/v1/me", key=ADMIN_KEY), 200)


def test_sigterm_drains_an_in_flight_request():
    with tempfile.TemporaryDirectory() as tmp:
        p, sock = own_server(tmp, "--workers", "1")
        try:
            s = fcgi.connect(sock)
            body = b'{"a":1}'
            fcgi.send_head(s, "GET", "/healthz", len(body), {"CONTENT_TYPE": "application/json"})
            fcgi.send_body(s, body[:3], last=False)   # the worker is now mid-request
            time.sleep(0.3)
            p.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            assert p.poll() is None, "master waits for the in-flight request"
            fcgi.send_body(s, body[3:])
            status, _, resp = fcgi.read_response(s)
            assert status == 200 and b"ok" in resp
            assert p.wait(timeout=10) == 0
            assert not os.path.exists(sock), "socket removed on exit"
        finally:
            if p.poll() is None:
                p.kill()


def test_worker_is_recycled_after_max_requests():
    with tempfile.TemporaryDirectory() as tmp:
        p, sock = own_server(tmp, "--workers", "1", "--max-requests", "3")
        try:
            first = workers(p.pid)
            for _ in range(7):
                assert fcgi.get(sock, "/healthz")[0] == 200
            wait_until(lambda: len(workers(p.pid)) == 1)
            assert workers(p.pid) != first
        finally:
            p.terminate()
            p.wait(timeout=10)


def test_a_recycled_worker_never_drops_a_request_on_its_kept_connection():
    with tempfile.TemporaryDirectory() as tmp:
        p, sock = own_server(tmp, "--workers", "1", "--max-requests", "2")
        try:
            first = wait_until(lambda: workers(p.pid))
            s = fcgi.connect(sock)
            for i in range(6):                       # three times its max-requests, one connection
                fcgi.send_head(s, "GET", "/healthz", 0, keep=True)
                fcgi.send_body(s, b"")
                assert fcgi.read_response(s)[0] == 200, i
            assert workers(p.pid) == first, "it stays while the connection is kept"
            s.close()                                # the web server lets go: now it leaves
            wait_until(lambda: workers(p.pid) and workers(p.pid) != first)
            assert fcgi.get(sock, "/healthz")[0] == 200
        finally:
            p.terminate()
            p.wait(timeout=10)


def test_reload_right_after_a_crash_keeps_the_worker_count():
    with tempfile.TemporaryDirectory() as tmp:
        p, sock = own_server(tmp, "--workers", "2")
        try:
            before = wait_until(lambda: len(workers(p.pid)) == 2 and workers(p.pid))
            os.kill(before[0], signal.SIGKILL)
            # Once the master has reaped it, its restart is pending (100 ms back-off):
            # reload inside that window.
            wait_until(lambda: len(workers(p.pid)) == 1, interval=0.002)
            os.kill(p.pid, signal.SIGHUP)
            wait_until(lambda: len(workers(p.pid)) == 2 and not set(workers(p.pid)) & set(before))
            time.sleep(0.5)                          # past the back-off: nothing extra appears
            assert len(workers(p.pid)) == 2, workers(p.pid)
            assert fcgi.get(sock, "/healthz")[0] == 200
        finally:
            p.terminate()
            p.wait(timeout=10)


def test_crash_loop_backs_off():
    with tempfile.TemporaryDirectory() as tmp:
        sock = os.path.join(tmp, "gh.sock")
        env = dict(os.environ, GATEHOUSE_SOCKET=sock)
        log = os.path.join(tmp, "log")
        with open(log, "wb") as f:
            p = subprocess.Popen([GATEHOUSE, "serve", "--workers", "1"], env=env, stdout=f, stderr=f)
        try:
            wait_until(lambda: workers(p.pid))
            for _ in range(4):  # kill each fresh worker at once
                pid = wait_until(lambda: workers(p.pid))[0]
                os.kill(pid, signal.SIGKILL)
                wait_until(lambda: pid not in workers(p.pid))
            text = open(log).read()
            delays = [int(m) for m in re.findall(r"restarting in (\d+) ms", text)]
            assert delays[:4] == [100, 200, 400, 800], delays
        finally:
            p.terminate()
            p.wait(timeout=10)


def test_spawned_worker_serves_on_an_inherited_socket():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "spawn.sock")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(path)
        lsock.listen(8)
        p = subprocess.Popen([GATEHOUSE], stdin=lsock.fileno(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        lsock.close()
        try:
            status, headers, body = fcgi.get(path, "/healthz")
            assert status == 200 and b'"ok"' in body
        finally:
            p.terminate()
            p.wait(timeout=10)


def test_plain_cgi_answers_one_request():
    env = dict(os.environ, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="GET",
               SCRIPT_NAME="", PATH_INFO="/healthz", QUERY_STRING="")
    p = subprocess.run([GATEHOUSE], env=env, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 0
    head, _, body = p.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"Status: 200 OK") and body == b'{"status":"ok"}'


def test_plain_cgi_reads_the_body():
    body = b'{"a":'
    env = dict(os.environ, GATEWAY_INTERFACE="CGI/1.1", REQUEST_METHOD="GET",
               REQUEST_URI="/api/v1/me", CONTENT_TYPE="application/json",
               CONTENT_LENGTH=str(len(body)))
    p = subprocess.run([GATEHOUSE], env=env, input=body, capture_output=True, timeout=30)
    assert p.stdout.startswith(b"Status: 400"), p.stdout[:200]
