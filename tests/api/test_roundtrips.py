"""test_roundtrips.py: the round trips each request makes to PostgreSQL, counted on the
wire, and row-level security that no order of statements can get around.

A worker of its own (gatehouse serve --workers 1) talks to the test stack's
PostgreSQL through pgproxy.py, which counts what the worker sends up to each
Sync (libpq's pipeline) or simple Query: after each the worker waits for the
server, so each is one round trip. Reads are measured with the key already in
the worker's cache (a /me first), so they count the read alone.
"""
import contextlib
import json as jsonlib
import os
import subprocess
import tempfile
import urllib.parse

import fcgi
from gh import expect, own_server, pgctl, psql, unique
from pgproxy import Proxy
from test_users import Org

TENANT = "set_config('gatehouse.org_id'"


class Worker:
    def __init__(self, px, sock):
        self.px = px
        self.sock = sock

    def call(self, method, uri, key, json=None):
        """One request through FastCGI: (status, parsed body or None)."""
        body = jsonlib.dumps(json).encode() if json is not None else b""
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        if json is not None:
            headers["CONTENT_TYPE"] = "application/json"
        status, _, data = fcgi.request(self.sock, method, uri, body, headers)
        return status, (jsonlib.loads(data) if data else None)

    def trips(self, method, uri, key, json=None, status=200):
        """Makes one request after caching the key; returns (body, its round trips)."""
        assert self.call("GET", "/api/v1/me", key)[0] == 200
        mark = self.px.mark()
        got, body = self.call(method, uri, key, json)
        assert got == status, f"{method} {uri}: {got} {body}"
        return body, self.px.since(mark)


@contextlib.contextmanager
def worker():
    """One worker whose database connection goes through a counting proxy."""
    with tempfile.TemporaryDirectory() as tmp, \
            Proxy(os.environ["GATEHOUSE_DATABASE_URL"],
                  # The job runner shares the database URL; its polling is not a request's.
                  ignore=r"gatehouse\.job|jobs_purge|LISTEN") as px:
        p, sock = own_server(tmp, "--workers", "1", env={"GATEHOUSE_DATABASE_URL": px.conninfo})
        try:
            yield Worker(px, sock)
        finally:
            p.terminate()
            p.wait(timeout=10)


def q(v):
    return urllib.parse.quote(v, safe="")


def is_read(batch):
    """A read of its own: the tenant first, no BEGIN or COMMIT, one Sync."""
    stmts = batch.statements()
    return (batch.kinds().count("S") == 1 and "Q" not in batch.kinds() and stmts
            and TENANT in (stmts[0] or "") and "transaction_read_only" in stmts[0]
            and not {"BEGIN", "COMMIT"} & set(batch.tags) and not batch.errors)


def populated_org():
    """An org with a user in a team, a group with a member, a policy assigned to the user."""
    o = Org()
    team = unique("team")
    expect(o.call("POST", "/api/v1/teams", json={"name": team}), 201)
    u = expect(o.create(auth_method="sso", department="eng", team=team), 201).json()
    g = expect(o.call("POST", "/api/v1/groups", json={"key": unique("g")}), 201).json()
    expect(o.call("POST", f"/api/v1/groups/{g['key']}/members", json={"user": u["uid"]}), 201)
    p = expect(o.call("POST", "/api/v1/policies", json={"name": unique("p")}), 201).json()
    expect(o.call("POST", f"/api/v1/policies/{p['id']}/assignments", json={"user": u["uid"]}), 201)
    return o, u, g, p


def test_a_read_is_one_round_trip():
    o, u, g, p = populated_org()
    reads = [
        f"/api/v1/users/{u['uid']}", f"/api/v1/users/by-id/{u['id']}",
        f"/api/v1/users/by-username/{q(u['username'])}", f"/api/v1/users/by-email/{q(u['email'])}",
        f"/api/v1/groups/{g['key']}", "/api/v1/groups", f"/api/v1/groups/{g['key']}/members",
        "/api/v1/teams", "/api/v1/policies", f"/api/v1/policies/{p['id']}/assignments",
        "/api/v1/org", "/api/v1/api-keys", "/api/v1/audit?action=user.*&limit=5",
    ]
    with worker() as w:
        for path in reads:
            for attempt in ("first", "again"):     # first: its statements are new to the connection
                body, trips = w.trips("GET", path, o.keys["super"])
                if attempt == "again" and path == reads[0]:
                    # A user read by uid again comes from the worker's cache (user_cache.c).
                    assert trips == [], f"again GET {path}: {trips}"
                    continue
                assert len(trips) == 1 and is_read(trips[0]), f"{attempt} GET {path}: {trips}"
        # A page of users is one round trip too: the filtered ids into a
        # setting, then their records (USER_PAGE_RECORDS), beside its count.
        for path in ("/api/v1/users?limit=100", "/api/v1/users?department=eng&limit=100",
                     "/api/v1/users?q=email:*%40example.com&limit=100&sort=-email",
                     # SCIM's page has the users' groups and the total too, in the same trip.
                     "/scim/v2/Users?count=10",
                     f"/scim/v2/Users?filter=userName%20eq%20%22{u['username']}%22"):
            for attempt in ("first", "again"):
                body, trips = w.trips("GET", path, o.keys["super"])
                assert len(trips) == 1 and is_read(trips[0]), f"{attempt} GET {path}: {trips}"
            if path.startswith("/scim/"):
                assert [grp["display"] for x in body["Resources"] if x["id"] == u["uid"]
                        for grp in x.get("groups", [])] == [g.get("name") or g["key"]], body
        # The reads found what they were asked for, so the counts are of real answers.
        _, trips = w.trips("GET", f"/api/v1/groups/{g['key']}/members", o.keys["super"])
        assert trips[0].tags[-1] == "SELECT 1"


def test_the_dialects_reads_count_as_the_native_ones_they_share():
    # The vendor surfaces read through the same core calls: a user is one read;
    # a user's groups, sign-ins or audit trail one more (the user is in the
    # worker's cache by then, its rows are not);
    # a whole directory (users_list_all) a read per page, the first with the
    # look past the most it answers.
    o, u, _, _ = populated_org()
    af = "/attackforge/api/ss"
    reads = [
        ("HTTP_X_SSAPI_KEY", f"{af}/users/{u['uid']}", 1),
        ("HTTP_X_SSAPI_KEY", f"{af}/users/email/{q(u['email'])}", 1),
        ("HTTP_X_SSAPI_KEY", f"{af}/user/{u['uid']}/groups", 1),
        ("HTTP_X_SSAPI_KEY", f"{af}/user/{u['uid']}/logins", 1),
        ("HTTP_X_SSAPI_KEY", f"{af}/user/{u['uid']}/auditlogs", 1),
        ("HTTP_X_SSAPI_KEY", f"{af}/users", 1),
        ("HTTP_FACTION_API_KEY", "/faction/api/users/all", 1),
    ]
    key = o.keys["super"]
    with worker() as w:
        for header, path, want in reads:
            assert w.call("GET", "/api/v1/me", key)[0] == 200
            mark = w.px.mark()
            status, _, body = fcgi.request(w.sock, "GET", path, b"", {header: key})
            trips = w.px.since(mark)
            assert status == 200 and jsonlib.loads(body), f"GET {path}: {status} {body}"
            assert len(trips) == want, f"GET {path}: {[t.tags for t in trips]}"
            if "BEGIN" in trips[0].tags:
                assert trips[-1].tags == ["COMMIT"], f"GET {path}: {[t.tags for t in trips]}"
            else:
                assert all(is_read(t) for t in trips), f"GET {path}: {trips}"


def test_a_statement_new_to_the_connection_is_prepared_in_the_same_round_trip():
    o, u, _, _ = populated_org()
    with worker() as w:
        _, trips = w.trips("GET", f"/api/v1/users/{u['uid']}", o.keys["admin"])
        assert len(trips) == 1, trips
        parsed = [m.sql for m in trips[0].messages if m.type == "P"]
        assert len(parsed) == 2 and TENANT in parsed[0], trips[0].messages


def test_a_missing_row_is_still_one_round_trip():
    o, _, _, _ = populated_org()
    with worker() as w:
        for path in ("/api/v1/users/00000000-0000-4000-8000-000000000000", "/api/v1/groups/nope",
                     "/api/v1/groups/nope/members", "/api/v1/policies/1/assignments"):
            _, trips = w.trips("GET", path, o.keys["admin"], status=404)
            assert len(trips) == 1 and is_read(trips[0]), f"GET {path}: {trips}"


def test_a_users_sets_are_two_reads_of_their_own_then_one():
    # The user, then its rows; once the user is in the worker's cache, the rows alone.
    o, u, _, _ = populated_org()
    with worker() as w:
        for i, sub in enumerate(("groups", "policies", "smartcards", "workstation-usernames")):
            _, trips = w.trips("GET", f"/api/v1/users/{u['uid']}/{sub}", o.keys["admin"])
            assert len(trips) == (2 if i == 0 else 1) and all(is_read(t) for t in trips), \
                f"{sub}: {trips}"


def test_a_write_is_one_transaction_without_a_round_trip_for_begin_or_the_tenant():
    # Each write's BEGIN and tenant ride with its first statement; a write nobody
    # reads the answer of (audit rows, deletions, the outbox, an update before its
    # read back) rides with the next statement or the COMMIT.
    o, u, g, _ = populated_org()
    other = expect(o.create(), 201).json()
    writes = [
        # (method, path, body, status, round trips: what each carries)
        ("POST", "/api/v1/users", {"email": f"{unique('w')}@example.com", "auth_method": "sso"}, 201,
         2),    # the insert answering the new row; audit + COMMIT
        ("POST", "/api/v1/users", {"email": f"{unique('w')}@example.com", "invite": True}, 201,
         3),    # insert; old tokens retired + the token; outbox + audit + COMMIT
        ("PATCH", f"/api/v1/users/{other['uid']}", {"title": "Dr"}, 200,
         3),    # the user locked; update + read back; audit + COMMIT
        ("PUT", f"/api/v1/users/{other['uid']}/password", {"password": "correct horse battery staple"},
         204, 4),    # the user locked; the org's policy; update + read back; audit + COMMIT
        ("POST", f"/api/v1/users/{other['uid']}/disable", None, 200,
         3),    # the user locked; update + read back; audit + COMMIT
        ("DELETE", f"/api/v1/users/{other['uid']}", None, 204,
         2),    # the user locked; eleven deletions + audit + COMMIT
        ("POST", "/api/v1/groups", {"key": unique("g")}, 201,
         2),    # insert + read back; audit + COMMIT
        ("POST", f"/api/v1/groups/{g['key']}/members", {"user": u["uid"], "role": "watcher"}, 200,
         5),    # the user locked; the group held; the membership; the upsert; audit + COMMIT
    ]
    with worker() as w:
        for method, path, body, status, want in writes:
            _, trips = w.trips(method, path, o.keys["super"], json=body, status=status)
            tags = [t.tags for t in trips]
            assert len(trips) == want, f"{method} {path}: {len(trips)}: {tags}"
            assert trips[0].tags[:2] == ["BEGIN", "SELECT 1"], f"{method} {path}: {tags}"
            assert trips[-1].tags[-1] == "COMMIT", f"{method} {path}: {tags}"
            assert all(t.tags and not t.errors for t in trips), f"{method} {path}: {tags}"
            assert sum(t.tags.count("BEGIN") for t in trips) == 1, f"{method} {path}: {tags}"


def test_a_statement_that_finds_its_connection_dead_is_sent_again_on_a_new_one():
    o, u, _, _ = populated_org()
    with worker() as w:
        body, _ = w.trips("GET", f"/api/v1/users/{u['uid']}", o.keys["admin"])
        assert body["uid"] == u["uid"]
        pgctl("restart")
        # /readyz checks no key first: its statement is the first to meet the dead connection.
        assert fcgi.get(w.sock, "/readyz")[0] == 200
        assert w.call("GET", f"/api/v1/users/{u['uid']}", o.keys["admin"])[0] == 200


# --- row-level security whatever the order ------------------------------------------

def swap_tenant_behind_read(messages):
    """Moves a read's tenant statement behind the read itself (Bind, Describe, Execute each)."""
    units, cur = [], []
    for m in messages:
        cur.append(m)
        if m.type in "ES":
            units.append(cur)
            cur = []
    if len(units) != 3 or TENANT not in (units[0][0].sql or ""):
        return None
    return units[1] + units[0] + units[2]


def test_a_read_sent_before_its_tenant_sees_nothing():
    o, u, _, _ = populated_org()
    path = f"/api/v1/users/by-id/{u['id']}"     # not by uid: that one the worker caches
    with worker() as w:
        body, _ = w.trips("GET", path, o.keys["admin"])     # the connection's last tenant: this org
        assert body["email"] == u["email"]
        w.px.rewrite(swap_tenant_behind_read)
        mark = w.px.mark()
        status, body = w.call("GET", path, o.keys["admin"])
        trips = w.px.since(mark)
        assert len(trips) == 1 and TENANT in trips[0].statements()[1], trips
        # The read ran first, in the same transaction as the tenant and right after a
        # request of the same org on the same connection: it found no row at all.
        assert trips[0].tags == ["SELECT 0", "SELECT 1"], trips
        assert status == 404 and u["email"] not in jsonlib.dumps(body), body
        body, _ = w.trips("GET", path, o.keys["admin"])
        assert body["email"] == u["email"], "the connection is fine afterwards"


def test_interleaved_orgs_on_one_connection_see_only_their_own_rows():
    dept = unique("dept")
    a, b = Org(), Org()
    ua = expect(a.create(auth_method="sso", department=dept), 201).json()
    ub = expect(b.create(auth_method="sso", department=dept), 201).json()
    with worker() as w:
        for _ in range(3):
            for mine, theirs, key in ((ua, ub, a.keys["admin"]), (ub, ua, b.keys["admin"])):
                body, _ = w.trips("GET", f"/api/v1/users?department={dept}", key)
                assert [x["email"] for x in body["users"]] == [mine["email"]], body
                for path in (f"/api/v1/users/{theirs['uid']}",
                             f"/api/v1/users/by-email/{q(theirs['email'])}"):
                    assert w.call("GET", path, key)[0] == 404, path
                body, _ = w.trips("GET", f"/api/v1/audit?target={theirs['uid']}", key)
                assert body["events"] == [], body


def psql_one_query(sql):
    """Sends sql as one simple Query (psql -c): its statements form one implicit transaction."""
    p = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1",
                        os.environ["GATEHOUSE_DATABASE_URL"], "-c", sql],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout.strip(), p.stderr.strip()


def test_the_service_role_sees_nothing_before_or_after_its_tenant():
    dept = unique("dept")
    a, b = Org(), Org()
    for o in (a, b):
        expect(o.create(auth_method="sso", department=dept), 201)
    count = f"SELECT count(*) FROM gatehouse.users WHERE department = '{dept}'"
    # One session: before the tenant, with it, and after its transaction ended.
    rc, out, err = psql(f"BEGIN;\n{count};\nSELECT set_config('gatehouse.org_id', '{a.id}', true);\n"
                        f"{count};\nCOMMIT;\n{count}")
    assert rc == 0, err
    assert out.split() == ["0", str(a.id), "1", "0"], out
    # The tenant statement and the read as one implicit transaction, as a read's pipeline is.
    rc, out, err = psql_one_query(f"SELECT set_config('gatehouse.org_id', '{b.id}', true); {count}")
    assert rc == 0 and out.split() == [str(b.id), "1"], (out, err)
    # The same two as transactions of their own: the tenant ends before the read.
    rc, out, err = psql(f"SELECT set_config('gatehouse.org_id', '{b.id}', true);\n{count}")
    assert rc == 0 and out.split() == [str(b.id), "0"], (out, err)


def test_a_read_of_its_own_cannot_write():
    o = Org()
    rc, _, err = psql_one_query(
        f"SELECT set_config('gatehouse.org_id', '{o.id}', true),"
        f" set_config('transaction_read_only', 'on', true);"
        f" UPDATE gatehouse.users SET note = 'x'")
    assert rc != 0 and "read-only transaction" in err, err
    rc, out, _ = psql("SELECT count(*) FROM gatehouse.users WHERE note = 'x'", tenant=o.id)
    assert (rc, out) == (0, "0")
