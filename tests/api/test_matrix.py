"""test_matrix.py: the authorization matrix of every native route, generated from the route tables.

For each route: no key is 401; every access level below the route's is 403;
the route's own level may read (GETs answer 2xx); and a super of another org
naming this org's resources gets 404. Nothing here succeeds in changing data:
every mutation it sends is refused before it runs.
"""
import urllib.parse

from gh import expect, request, split_key, unique
from test_openapi import native_routes
from test_users import PW, Org

LADDER = ["guest", "user", "admin", "super"]


class World:
    """Org A with one of each resource, and org B to ask from outside."""

    def __init__(self):
        self.a, self.b = Org(), Org()
        a = self.a
        self.user = expect(a.create(username=unique("m")), 201).json()
        self.team = expect(a.call("POST", "/api/v1/teams", json={"name": unique("t")}), 201).json()
        self.group = expect(a.call("POST", "/api/v1/groups", json={"key": unique("g")}), 201).json()
        self.policy = expect(a.call("POST", "/api/v1/policies", json={"name": unique("p")}), 201).json()
        self.assignment = expect(a.call("POST", f"/api/v1/policies/{self.policy['id']}/assignments",
                                        json={"user": self.user["uid"]}), 201).json()
        expect(a.call("POST", f"/api/v1/groups/{self.group['key']}/members",
                      json={"user": self.user["uid"], "role": "member"}), 201)
        self.key_ref = split_key(a.keys["user"])[0]
        # More passwords than one request may hash: a job.
        many = [{"email": f"{unique('j')}@example.com", "password": PW} for _ in range(51)]
        self.job = expect(a.call("POST", "/api/v1/users/bulk", json=many), 202).json()

    def path(self, pattern):
        """The route's path with this world's resources in it."""
        q = lambda v: urllib.parse.quote(str(v), safe="")
        values = {"{uid}": self.user["uid"], "{username}": self.user["username"],
                  "{email}": self.user["email"], "{key}": self.group["key"],
                  "{assignment_id}": self.assignment["id"]}
        if pattern.startswith("/api/v1/users/by-id/"):
            values["{id}"] = self.user["id"]
        elif pattern.startswith("/api/v1/teams/"):
            values["{id}"] = self.team["id"]
        elif pattern.startswith("/api/v1/policies/"):
            values["{id}"] = self.policy["id"]
        elif pattern.startswith("/api/v1/api-keys/"):
            values["{id}"] = self.key_ref
        elif pattern.startswith("/api/v1/jobs/"):
            values["{id}"] = self.job["id"]
        for k, v in values.items():
            pattern = pattern.replace(k, q(v))
        assert "{" not in pattern, f"no fixture for a parameter of {pattern}"
        return pattern

    def body(self, method, pattern):
        """A body a handler accepts, so that only the lookup can fail."""
        bodies = {
            ("POST", "/api/v1/groups/{key}/members"): {"user": self.user["uid"], "role": "member"},
            ("PUT", "/api/v1/groups/{key}/members/{uid}"): {"role": "watcher"},
            ("POST", "/api/v1/policies/{id}/assignments"): {"user": self.user["uid"]},
            ("PATCH", "/api/v1/teams/{id}"): {"name": unique("t")},
            ("PUT", "/api/v1/users/{uid}/smartcards"): {"smartcards": [{"number": "1"}]},
            ("PUT", "/api/v1/users/{uid}/workstation-usernames"): {"usernames": ["x"]},
            ("PUT", "/api/v1/users/{uid}/password"): {"password": PW},
            ("PATCH", "/api/v1/users/{uid}"): {"title": "x"},
        }
        return bodies.get((method, pattern))


_world = None


def world():
    global _world
    if _world is None:
        _world = World()
    return _world


def _routes():
    return sorted((m, p, lvl) for (m, p), (_, _, lvl) in native_routes().items() if lvl != "public")


def test_every_route_needs_a_key():
    w = world()
    for method, pattern, _ in _routes():
        r = request(method, w.path(pattern), json=w.body(method, pattern))
        assert r.status == 401, (method, pattern, r)


def test_every_level_below_a_route_is_refused():
    w = world()
    checked = 0
    for method, pattern, need in _routes():
        for level in LADDER[:LADDER.index(need)]:
            r = w.a.call(method, w.path(pattern), level, json=w.body(method, pattern))
            assert r.status == 403, (method, pattern, level, r)
            checked += 1
    assert checked > 80, checked


def test_the_routes_own_level_may_read():
    w = world()
    for method, pattern, need in _routes():
        if method != "GET":
            continue
        r = w.a.call(method, w.path(pattern), need)
        assert 200 <= r.status < 300, (method, pattern, need, r)


def test_another_orgs_super_cannot_reach_this_orgs_resources():
    w = world()
    reached = 0
    for method, pattern, _ in _routes():
        if "{" not in pattern:
            continue
        r = w.b.call(method, w.path(pattern), "super", json=w.body(method, pattern))
        assert r.status == 404, (method, pattern, r)
        reached += 1
    assert reached > 25
    # And the resources are all still there for their own org.
    for pattern in ("/api/v1/users/{uid}", "/api/v1/groups/{key}", "/api/v1/policies/{id}/assignments"):
        expect(w.a.call("GET", w.path(pattern), "admin"), 200)
