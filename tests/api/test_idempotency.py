"""test_idempotency.py: creates honour Idempotency-Key — a retry gets the first answer.

The first successful answer is kept with the work it answers (one
transaction) for 24 hours; the same key with another request is 422; a
failed request keeps nothing, so its retry runs again.
"""
import json
import tempfile
import threading
import uuid

import fcgi
from gh import ADMIN_KEY, expect, make_key, make_org, make_user, psql, request, serve, stop, unique

PW = "correct horse battery staple"


def _key():
    return f"idem-{uuid.uuid4().hex}"


def _create(key, idem, **fields):
    fields.setdefault("email", f"{unique('i')}@example.com")
    fields.setdefault("password", PW)
    return request("POST", "/api/v1/users", key=key, json=fields,
                   headers={"Idempotency-Key": idem})


def _count_users(email):
    rc, out, err = psql(f"SELECT count(*) FROM gatehouse.users WHERE email = '{email}'",
                        role="owner")
    assert rc == 0, err
    return int(out)


class Org:
    def __init__(self):
        self.name, self.id = make_org()
        self.email = make_user(self.name, "admin")
        self.key = make_key(self.name, self.email)


def test_a_retry_gets_the_first_answer_and_creates_nothing_more():
    org, idem = Org(), _key()
    email = f"{unique('r')}@example.com"
    first = expect(_create(org.key, idem, email=email), 201)
    again = expect(_create(org.key, idem, email=email), 201)
    assert again.body == first.body
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in first.headers
    assert _count_users(email) == 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing():
    org, idem = Org(), _key()
    expect(_create(org.key, idem), 201)
    other = f"{unique('o')}@example.com"
    r = expect(_create(org.key, idem, email=other), 422)
    assert r.json()["field"] == "Idempotency-Key"
    assert _count_users(other) == 0


def test_a_key_belongs_to_the_api_key_that_sent_it():
    org, idem = Org(), _key()
    second = make_key(org.name, make_user(org.name, "admin"))
    expect(_create(org.key, idem), 201)
    # Another API key's use of the same text is its own: it creates.
    expect(_create(second, idem), 201)


def test_a_failed_request_keeps_nothing_and_its_retry_runs_again():
    org, idem = Org(), _key()
    email = f"{unique('f')}@example.com"
    r = expect(_create(org.key, idem, email=email, access_level="emperor"), 400)
    assert r.json()["field"] == "access_level"
    # Not 422: the failure was not kept, so a corrected request may use the key.
    expect(_create(org.key, idem, email=email), 201)
    assert _count_users(email) == 1


def test_bad_keys_are_400_naming_the_header_and_change_nothing():
    org = Org()
    for bad in ("", "x" * 256, "caf\u00e9".encode("utf-8").decode("latin-1")):
        email = f"{unique('b')}@example.com"
        r = expect(_create(org.key, bad, email=email), 400)
        assert r.json()["field"] == "Idempotency-Key", r
        assert _count_users(email) == 0
    expect(_create(org.key, "k" * 255), 201)


def test_concurrent_duplicates_create_exactly_once_and_all_get_its_answer():
    org, idem = Org(), _key()
    email = f"{unique('c')}@example.com"
    out = []
    go = threading.Barrier(8)

    def one():
        go.wait()
        out.append(_create(org.key, idem, email=email))

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status for r in out] == [201] * 8, out
    assert len({r.body for r in out}) == 1
    assert sum("idempotent-replayed" in r.headers for r in out) == 7
    assert _count_users(email) == 1


def test_a_claim_older_than_24_hours_is_forgotten():
    org, idem = Org(), _key()
    expect(_create(org.key, idem), 201)
    rc, _, err = psql("UPDATE gatehouse.idempotency_keys SET created_at = now() - interval '25 hours'"
                      f" WHERE org_id = {org.id} AND idem_key = '{idem}'", role="owner")
    assert rc == 0, err
    other = f"{unique('e')}@example.com"
    # Expired: the key is free again, for any request.
    r = expect(_create(org.key, idem, email=other), 201)
    assert "idempotent-replayed" not in r.headers
    assert _count_users(other) == 1
    expect(_create(org.key, idem, email=other), 201)
    assert _count_users(other) == 1


def test_an_api_key_create_is_not_replayed_with_its_secret():
    org, idem = Org(), _key()
    body = {"name": "idem-" + unique()}
    first = expect(request("POST", "/api/v1/api-keys", key=org.key, json=body,
                           headers={"Idempotency-Key": idem}), 201)
    secret = first.json()["key"]
    again = expect(request("POST", "/api/v1/api-keys", key=org.key, json=body,
                           headers={"Idempotency-Key": idem}), 409)
    assert again.json()["field"] == "Idempotency-Key"
    assert secret not in again.body.decode()
    rc, out, err = psql(f"SELECT count(*) FROM gatehouse.api_keys WHERE org_id = {org.id}"
                        f" AND name = '{body['name']}'", role="owner")
    assert rc == 0 and out == "1", (out, err)
    # The secret after "gh_<org>k<id>_": it may hold "_" itself (base64url), so
    # split once at the prefix, and strpos rather than LIKE ("_" is a wildcard there).
    tail = secret.split("_", 2)[2]
    assert len(tail) >= 20, secret
    rc, out, err = psql("SELECT count(*) FROM gatehouse.idempotency_keys"
                        f" WHERE strpos(body, '{tail[:20]}') > 0", role="owner")
    assert rc == 0 and out == "0", (out, err)


def test_a_bulk_create_retry_gets_the_same_results():
    org, idem = Org(), _key()
    items = [{"email": f"{unique('k')}@example.com", "invite": True, "send_email": False}
             for _ in range(3)]
    first = expect(request("POST", "/api/v1/users/bulk", key=org.key, json=items,
                           headers={"Idempotency-Key": idem}), 201)
    again = expect(request("POST", "/api/v1/users/bulk", key=org.key, json=items,
                           headers={"Idempotency-Key": idem}), 201)
    assert again.body == first.body
    for it in items:
        assert _count_users(it["email"]) == 1


def test_attackforge_create_users_honours_the_key():
    org, idem = Org(), _key()
    name = unique("af")
    items = [{"username": f"{name}@af.example", "email": f"{name}@af.example",
              "first_name": "Ada", "last_name": "Lovelace", "password": PW,
              "role": "consultant", "mfa": "Yes"}]
    path = "/attackforge/api/ss/users"
    h = {"X-SSAPI-KEY": org.key, "Idempotency-Key": idem}
    first = expect(request("POST", path, json=items, headers=h), 200)
    assert first.json(), first
    again = request("POST", path, json=items, headers=h)
    assert (again.status, again.body) == (first.status, first.body)
    assert _count_users(items[0]["email"]) == 1
    items[0]["first_name"] = "Grace"
    expect(request("POST", path, json=items, headers=h), 422)


def test_faction_add_user_honours_the_key():
    # addUser first looks the username up (not found is its way forward): that
    # lookup's failure must not undo the claim of the key held around it.
    org, idem = Org(), _key()
    team = unique("team")
    expect(request("POST", "/api/v1/teams", key=org.key, json={"name": team}), 201)
    name = unique("fu")
    form = {"username": name, "email": f"{name}@faction.example", "fname": "Fay", "lname": "Tion",
            "team": team, "authMethod": "SAML", "verify": "false"}
    h = {"FACTION-API-KEY": org.key, "Idempotency-Key": idem}
    first = expect(request("POST", "/faction/api/users/addUser", form=form, headers=h), 200)
    again = expect(request("POST", "/faction/api/users/addUser", form=form, headers=h), 200)
    assert again.body == first.body and again.headers.get("idempotent-replayed") == "true"
    assert _count_users(form["email"]) == 1
    form["fname"] = "Other"
    expect(request("POST", "/faction/api/users/addUser", form=form, headers=h), 422)


def test_every_native_create_replays_its_first_answer():
    org = Org()
    user = expect(_create(org.key, _key()), 201).json()
    group = unique("g")
    policy = expect(request("POST", "/api/v1/policies", key=org.key,
                            json={"name": unique("p")}), 201).json()
    expect(request("POST", "/api/v1/groups", key=org.key, json={"key": group}), 201)
    for path, body in (("/api/v1/teams", {"name": unique("t")}),
                       ("/api/v1/groups", {"key": unique("g")}),
                       ("/api/v1/policies", {"name": unique("p")}),
                       (f"/api/v1/groups/{group}/members", {"user": user["uid"], "role": "member"}),
                       (f"/api/v1/policies/{policy['id']}/assignments", {"user": user["uid"]})):
        h = {"Idempotency-Key": _key()}
        first = expect(request("POST", path, key=org.key, json=body, headers=h), 201)
        again = expect(request("POST", path, key=org.key, json=body, headers=h), 201)
        assert again.body == first.body, path
        assert again.headers.get("idempotent-replayed") == "true", path


def _fcgi_create(sock, idem, body):
    data = json.dumps(body).encode()
    s = fcgi.connect(sock)
    s.settimeout(30)
    try:
        fcgi.send_head(s, "POST", "/api/v1/users", len(data), {
            "CONTENT_TYPE": "application/json", "HTTP_AUTHORIZATION": f"Bearer {ADMIN_KEY}",
            "HTTP_IDEMPOTENCY_KEY": idem})
        fcgi.send_body(s, data)
        status, headers, out = fcgi.read_response(s)
        return status, out
    finally:
        s.close()


def test_the_answer_is_replayed_after_the_server_restarts():
    idem = _key()
    body = {"email": f"{unique('s')}@example.com", "password": PW}
    answers = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(2):          # the second server has none of the first one's memory
            p, sock = serve(tmp, "--workers", "1")
            try:
                answers.append(_fcgi_create(sock, idem, body))
            finally:
                stop(p)
    assert answers[0][0] == 201, answers[0]
    assert answers[1] == answers[0]
    assert _count_users(body["email"]) == 1
