"""test_jobs.py: bulk work too long for one request becomes a job.

POST /api/v1/users/bulk with more passwords than one request may hash
(USERS_BULK_PASSWORDS_MAX, 50) answers 202 with a Location to poll; the
server's job runner creates the users one by one, each in its own
transaction, and the job reports progress and every item's result. The
tests that need a job to be slow run their own `gatehouse serve` at the
production password cost (~0.4 s a hash) and speak FastCGI to it.
"""
import contextlib
import json
import os
import signal
import tempfile
import uuid

import fcgi
from gh import (ADMIN_KEY, expect, get, job_runner, make_key, make_org, make_user, psql, request,
                serve, stop, unique, wait_until)
from test_users import Org as UsersOrg

PW = "correct horse battery staple"
OVER = 51       # one more password than a synchronous request may hash


def _items(n, tag=None, **extra):
    tag = tag or uuid.uuid4().hex[:10]
    return [dict({"email": f"job-{tag}-{i}@jobs.example", "password": f"{PW} {i}"}, **extra)
            for i in range(n)]


def _existing(emails):
    listed = ",".join("'" + e + "'" for e in emails)
    rc, out, err = psql(f"SELECT email FROM gatehouse.users WHERE email IN ({listed})", role="owner")
    assert rc == 0, err
    return set(out.split()) if out else set()


def _accounted(job):
    """Every item has exactly one outcome once the job has ended."""
    assert job["status"] in ("finished", "cancelled"), job["status"]
    assert job["done"] == job["total"] == len(job["results"])
    assert job["succeeded"] + job["failed"] + job["cancelled"] == job["total"]
    assert [r["index"] for r in job["results"]] == list(range(job["total"]))


class Org:
    def __init__(self):
        self.name, self.id = make_org()
        self.key = make_key(self.name, make_user(self.name, "admin"))

    def bulk(self, items, headers=None):
        return request("POST", "/api/v1/users/bulk", key=self.key, json=items, headers=headers)

    def job(self, location):
        return expect(get(location, key=self.key), 200).json()

    def wait(self, location, timeout=60.0):
        return wait_until(lambda: (j := self.job(location))["status"] in ("finished", "cancelled")
                          and j, timeout=timeout)


def test_a_bulk_create_with_many_passwords_is_a_job_that_creates_every_user():
    org = Org()
    items = _items(OVER)
    r = expect(org.bulk(items), 202)
    location = r.headers["location"]
    assert location == f"/api/v1/jobs/{r.json()['id']}"
    assert r.json()["total"] == OVER and r.json()["status"] in ("queued", "running", "finished")
    job = org.wait(location)
    _accounted(job)
    assert job["status"] == "finished" and job["succeeded"] == OVER, job
    assert all(x["code"] == 201 and x["user"]["status"] == "active" for x in job["results"])
    assert [x["user"]["email"] for x in job["results"]] == [i["email"] for i in items]
    assert _existing([i["email"] for i in items]) == {i["email"] for i in items}
    # Passwords work, and none rests in the job's rows.
    rc, out, err = psql(f"SELECT count(*) FROM gatehouse.job_items WHERE org_id = {org.id}"
                        " AND (sealed IS NOT NULL OR payload IS NOT NULL)", role="owner")
    assert rc == 0 and out == "0", (out, err)


def test_each_item_fails_or_succeeds_on_its_own():
    org = Org()
    items = _items(OVER)
    taken = items[3]["email"]
    expect(request("POST", "/api/v1/users", key=org.key, json={"email": taken, "password": PW}),
           201)
    items[7]["team"] = "no-such-team"
    job = org.wait(expect(org.bulk(items), 202).headers["location"])
    _accounted(job)
    failed = {x["index"]: x for x in job["results"] if x["status"] == "failed"}
    assert sorted(failed) == [3, 7], failed
    assert failed[3]["code"] == 409 and failed[3]["error"]["field"]
    assert failed[7]["code"] in (400, 404) and failed[7]["error"]["field"] == "team"
    assert job["succeeded"] == OVER - 2


def test_a_bad_item_is_refused_before_any_job_exists():
    org = Org()
    items = _items(OVER)
    items[9]["email"] = "not an address"
    r = expect(org.bulk(items), 400)
    assert r.json()["field"] == "users[9].email", r
    assert expect(get("/api/v1/jobs", key=org.key), 200).json()["jobs"] == []
    assert not _existing([i["email"] for i in items])


def test_a_password_too_long_for_any_user_is_refused_before_any_job_exists():
    org = Org()
    items = _items(OVER)
    items[4]["password"] = "x" * 1100
    r = expect(org.bulk(items), 400)
    assert r.json()["field"] == "users[4].password", r
    assert expect(get("/api/v1/jobs", key=org.key), 200).json()["jobs"] == []


def test_jobs_are_listed_newest_first_and_only_in_their_org():
    org, other = Org(), Org()
    first = expect(org.bulk(_items(OVER)), 202).json()["id"]
    second = expect(org.bulk(_items(OVER)), 202).json()["id"]
    listed = expect(get("/api/v1/jobs", key=org.key), 200).json()["jobs"]
    assert [j["id"] for j in listed] == [second, first]
    assert expect(get("/api/v1/jobs", key=other.key), 200).json()["jobs"] == []
    expect(get(f"/api/v1/jobs/{first}", key=other.key), 404)
    expect(request("POST", f"/api/v1/jobs/{first}/cancel", key=other.key), 404)
    for j in (first, second):
        org.wait(f"/api/v1/jobs/{j}")


def test_a_job_needs_an_admin():
    org = Org()
    user_key = make_key(org.name, make_user(org.name, "user"))
    job = expect(org.bulk(_items(OVER)), 202).json()["id"]
    expect(get(f"/api/v1/jobs/{job}", key=user_key), 403)
    expect(get("/api/v1/jobs", key=user_key), 403)
    org.wait(f"/api/v1/jobs/{job}")


def test_an_ended_job_cannot_be_cancelled():
    org = Org()
    location = expect(org.bulk(_items(OVER)), 202).headers["location"]
    org.wait(location)
    r = expect(request("POST", location + "/cancel", key=org.key), 409)
    assert r.json()["field"] == "id"


def test_a_retried_job_request_with_its_idempotency_key_makes_one_job():
    org = Org()
    items = _items(OVER)
    h = {"Idempotency-Key": uuid.uuid4().hex}
    first = expect(org.bulk(items, headers=h), 202)
    again = expect(org.bulk(items, headers=h), 202)
    assert again.headers["location"] == first.headers["location"]
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(expect(get("/api/v1/jobs", key=org.key), 200).json()["jobs"]) == 1
    org.wait(first.headers["location"])


# --- slow jobs on a server of their own, at the production password cost ------------------

def _serve(tmp):
    p, sock = serve(tmp, "--workers", "1", drop=["GATEHOUSE_PASSWORD_COST"])
    wait_until(lambda: job_runner(p.pid))
    return p, sock


def _call(sock, method, uri, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    s = fcgi.connect(sock)
    s.settimeout(60)
    try:
        fcgi.send_head(s, method, uri, len(data), {
            "CONTENT_TYPE": "application/json", "HTTP_AUTHORIZATION": f"Bearer {ADMIN_KEY}"})
        fcgi.send_body(s, data)
        status, headers, out = fcgi.read_response(s)
        return status, headers, json.loads(out) if out else None
    finally:
        s.close()


def _slow_job(sock, items):
    """Posts items to the server at sock as a job; its Location once two items are done."""
    status, headers, body = _call(sock, "POST", "/api/v1/users/bulk", items)
    assert status == 202, body
    location = headers["location"]
    wait_until(lambda: _job(location)["done"] >= 2, timeout=60, interval=0.2)
    return location


@contextlib.contextmanager
def _slow_server_job(items):
    """A server of its own at the production cost, running items as a job: (server, socket,
    the job's Location once two items are done); the server is stopped afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        p, sock = _serve(tmp)
        try:
            yield p, sock, _slow_job(sock, items)
        finally:
            stop(p)


def _job(location):
    """Reads a job through the test stack (any server reads the same rows)."""
    return expect(get(location, key=ADMIN_KEY), 200).json()


def _ended(location, timeout):
    return wait_until(lambda: (j := _job(location))["status"] in ("finished", "cancelled") and j,
                      timeout=timeout, interval=0.5)


def _made_are_the_succeeded(items, job):
    made = _existing([i["email"] for i in items])
    assert made == {x["user"]["email"] for x in job["results"] if x["status"] == "succeeded"}


def test_a_cancelled_job_stops_between_items_and_accounts_for_every_one():
    items = _items(OVER)
    with _slow_server_job(items) as (_, sock, location):
        # What waits holds no password in the clear: the payload lacks it, sealed hides it.
        rc, out, err = psql("SELECT payload::text, encode(sealed, 'escape')"
                            f" FROM gatehouse.job_items WHERE job_id = {location.rsplit('/', 1)[1]}"
                            " AND status = 'pending'", role="owner")
        assert rc == 0 and out.count("\n") > 10, (out, err)
        assert PW not in out and '"password"' not in out
        status, _, job = _call(sock, "POST", location + "/cancel")
        assert status == 200 and job["status"] == "cancelled", job
    job = _job(location)
    _accounted(job)
    assert job["status"] == "cancelled" and job["cancelled"] > 0 and job["succeeded"] >= 2, job
    _made_are_the_succeeded(items, job)
    assert all("code" not in x for x in job["results"] if x["status"] == "cancelled")


def test_a_killed_runner_is_restarted_and_resumes_the_job():
    items = _items(OVER)
    with _slow_server_job(items) as (p, sock, location):
        runner = job_runner(p.pid)
        os.kill(runner, signal.SIGKILL)
        before = _job(location)["done"]
        wait_until(lambda: job_runner(p.pid) not in (None, runner), timeout=30)
        # The new runner (same server, same key) goes on where the old one stopped.
        wait_until(lambda: _job(location)["done"] >= before + 2, timeout=60, interval=0.2)
        status, _, job = _call(sock, "POST", location + "/cancel")
        assert status == 200, job
    job = _job(location)
    _accounted(job)
    assert job["failed"] == 0, [x for x in job["results"] if x["status"] == "failed"]
    assert job["succeeded"] >= before + 2
    _made_are_the_succeeded(items, job)


def test_a_restarted_server_fails_the_passwords_it_can_no_longer_open():
    items = _items(OVER)
    with _slow_server_job(items) as (_, _, location):
        pass        # stopped on leaving: its runner stops between items, its key gone with it
    stopped = _job(location)
    assert stopped["status"] == "running" and stopped["done"] < OVER, stopped
    # Another server's runner takes over once the key's runner has been silent 15 s.
    job = _ended(location, timeout=60)
    _accounted(job)
    lost = [x for x in job["results"] if x["status"] == "failed"]
    assert len(lost) == OVER - stopped["done"], job
    assert all(x["code"] == 503 and x["error"]["field"] == "password" and
               "send this user again" in x["error"]["detail"] for x in lost)
    _made_are_the_succeeded(items, job)


def test_a_bulk_job_with_an_item_beyond_the_keys_authority_is_refused_before_it_is_accepted():
    """docs/README.md (Jobs): every item is checked before the job is accepted, as in a
    synchronous bulk create. The synchronous one answers 403 naming users[i].access_level
    and makes nobody; the job was accepted (202) and made the 50 other users."""
    o = UsersOrg()
    users = [{"email": f"{unique('j')}@example.com", "password": PW} for _ in range(51)]
    users[3]["access_level"] = "super"
    r = o.call("POST", "/api/v1/users/bulk", json={"users": users})
    try:
        assert r.status == 403, r
        assert r.json()["field"] == "users[3].access_level", r
        assert expect(o.call("GET", "/api/v1/jobs"), 200).json()["jobs"] == []
    finally:
        if r.status == 202:
            o.call("POST", r.headers["location"] + "/cancel")
