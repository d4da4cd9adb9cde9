"""test_user_cache.py: the workers' cache of users read by uid (src/core/user_cache.c) never
serves a row a change has made stale — whichever worker made the change, and whoever wrote it."""
from concurrent.futures import ThreadPoolExecutor

from gh import expect, psql, unique, wait_until
from test_users import Org

READS = 40      # parallel reads, 8 at a time: they land on every one of the stack's workers


def reads(o, path, level="admin"):
    with ThreadPoolExecutor(8) as ex:
        return list(ex.map(lambda _: o.call("GET", path, level), range(READS)))


def everyone_sees(o, uid, check, level="admin"):
    got = reads(o, f"/api/v1/users/{uid}", level)
    bad = [r for r in got if not check(r)]
    assert not bad, f"{len(bad)} of {READS} reads were stale: {bad[0]!r} {bad[0].json()}"


def owner(sql):
    rc, out, err = psql(sql, role="owner")
    assert rc == 0, err
    return out


def test_a_change_through_the_api_is_read_back_by_every_worker_at_once():
    o = Org()
    team = unique("team")
    t = expect(o.call("POST", "/api/v1/teams", json={"name": team}), 201).json()
    boss = expect(o.create(first_name="Grace", last_name="Hopper"), 201).json()
    u = expect(o.create(title="Engineer", team=team, manager=boss["uid"]), 201).json()
    uid = u["uid"]
    everyone_sees(o, uid, lambda r: r.status == 200 and r.json()["title"] == "Engineer")

    expect(o.call("PATCH", f"/api/v1/users/{uid}", json={"title": "Architect"}), 200)
    everyone_sees(o, uid, lambda r: r.json()["title"] == "Architect")
    expect(o.call("POST", f"/api/v1/users/{uid}/disable", json={}), 200)
    everyone_sees(o, uid, lambda r: r.json()["status"] == "disabled")
    expect(o.call("POST", f"/api/v1/users/{uid}/enable", json={}), 200)
    everyone_sees(o, uid, lambda r: r.json()["status"] == "active")
    # What the row is read from beside the user: its team's name and its manager's.
    expect(o.call("PATCH", f"/api/v1/teams/{t['id']}", json={"name": team + "-renamed"}), 200)
    everyone_sees(o, uid, lambda r: r.json()["team"] == team + "-renamed")
    expect(o.call("PATCH", f"/api/v1/users/{boss['uid']}", json={"last_name": "Murray"}), 200)
    everyone_sees(o, uid, lambda r: r.json()["manager_name"] == "Grace Murray")
    expect(o.call("DELETE", f"/api/v1/users/{boss['uid']}"), 204)
    everyone_sees(o, uid, lambda r: r.json()["manager"] is None)
    expect(o.call("DELETE", f"/api/v1/users/{uid}"), 204)
    everyone_sees(o, uid, lambda r: r.status == 404)


def test_a_users_own_change_is_read_back_at_once():
    o = Org()
    me = expect(o.call("GET", "/api/v1/me", "user"), 200).json()
    uid = me["user"]["uid"] if "user" in me else me["uid"]
    everyone_sees(o, uid, lambda r: r.status == 200)
    expect(o.call("PATCH", f"/api/v1/users/{uid}", json={"title": "Self-made"}), 200)
    everyone_sees(o, uid, lambda r: r.json()["title"] == "Self-made")


def test_rows_are_cached_and_a_change_through_the_api_ends_that():
    """The cache is real: a change that bypasses both the server and the notifying
    trigger stays unseen by the workers that hold the row, until a change through
    the server makes every worker read it again."""
    o = Org()
    u = expect(o.create(title="Before"), 201).json()
    everyone_sees(o, u["uid"], lambda r: r.json()["title"] == "Before")
    owner(f"""BEGIN;
        ALTER TABLE gatehouse.users DISABLE TRIGGER users_changed_upd;
        UPDATE gatehouse.users SET title = 'Behind its back' WHERE id = {u['id']};
        ALTER TABLE gatehouse.users ENABLE TRIGGER users_changed_upd;
        COMMIT""")
    titles = [r.json()["title"] for r in reads(o, f"/api/v1/users/{u['uid']}")]
    assert "Before" in titles, titles
    expect(o.call("PATCH", f"/api/v1/users/{u['uid']}", json={"department": "Ops"}), 200)
    everyone_sees(o, u["uid"], lambda r: r.json()["title"] == "Behind its back"
                  and r.json()["department"] == "Ops")


def test_a_change_by_another_writer_is_seen_once_its_notification_arrives():
    o = Org()
    u = expect(o.create(title="Before"), 201).json()
    everyone_sees(o, u["uid"], lambda r: r.json()["title"] == "Before")
    rc, _, err = psql(f"UPDATE gatehouse.users SET title = 'Elsewhere' WHERE id = {u['id']}",
                      tenant=o.id)
    assert rc == 0, err
    # Notifications arrive within milliseconds; the bound is generous for a loaded machine.
    wait_until(lambda: all(r.json()["title"] == "Elsewhere"
                           for r in reads(o, f"/api/v1/users/{u['uid']}")), timeout=5)
    # A second factor added elsewhere changes the row too (its "totp" flag).
    rc, _, err = psql(f"INSERT INTO gatehouse.totp_credentials (org_id, user_id, secret, confirmed_at)"
                      f" VALUES ({o.id}, {u['id']}, '\\x00', now())", tenant=o.id)
    assert rc == 0, err
    wait_until(lambda: all(r.json()["mfa"]["totp"] for r in reads(o, f"/api/v1/users/{u['uid']}")),
               timeout=5)


def test_another_org_never_reads_a_cached_user():
    a, b = Org(), Org()
    u = expect(a.create(), 201).json()
    everyone_sees(a, u["uid"], lambda r: r.status == 200)
    got = reads(b, f"/api/v1/users/{u['uid']}")
    assert all(r.status == 404 for r in got), [r.status for r in got]
    assert not any(u["email"] in r.body.decode() for r in got)
