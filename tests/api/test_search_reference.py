"""test_search_reference.py: search results checked against an independent reference.

A few thousand users with varied attributes; for each query, Python computes
the expected matches from the users as the native API shows them, and every
page that Secureframe's q (offset pages), the native q (keyset pages) and,
where a query is a set of equalities, plain field filters answer must be the
expected one.
"""
import datetime
import random
import urllib.parse

from gh import expect, once, request, unique
from test_secureframe import sf
from test_users import Org

N = 3000
FIRST = ["Ada", "Anna", "Ann", "Hannah", "Eva", "Ivan", "Iva", "Joanna", "Omar", "Maria",
         "Mark", "Marta", "Zoe", "Leo", "Lena", "Luis", "Nina", "Noah", "Sara", "Sam"]
LAST = ["Hart", "Hartley", "Hill", "Hillman", "Ashford", "Ashby", "Marsh", "Marshall", "Stone",
        "Stoneman", "Mørk", "O'Neil", "Van Dyke", "Lee", "Leeds", "Ng"]
TITLES = ["Engineer", "Senior Engineer", "Analyst", "Senior Analyst", "Manager", ""]
TYPES = ["employee", "contractor", "non_employee", "auditor", "external", "workspace"]
ONBOARDING = [None, "not_started", "in_progress", "completed"]
PERSONNEL = [None, "onboarding", "active", "offboarding", "offboarded"]


def _users(tag):
    rnd = random.Random(20261202)
    out = []
    for i in range(N):
        f, l = rnd.choice(FIRST), rnd.choice(LAST)
        u = {"email": f"{f.lower()}.{i}.{tag}@d{i % 7}.example", "first_name": f, "last_name": l,
             "title": rnd.choice(TITLES), "department_id": rnd.choice(["d-1", "D-2", "d-3", ""]),
             "employee_type": rnd.choice(TYPES), "in_audit_scope": rnd.random() < 0.8,
             "onboarding_status": rnd.choice(ONBOARDING), "personnel_status": rnd.choice(PERSONNEL),
             "auth_method": "sso"}
        if rnd.random() < 0.7:
            u["start_date"] = str(datetime.date(2022, 1, 1) + datetime.timedelta(days=rnd.randrange(900)))
        if rnd.random() < 0.5:
            day = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc) + \
                datetime.timedelta(minutes=rnd.randrange(200 * 24 * 60))
            u["agent_acknowledged_at"] = day.strftime("%Y-%m-%dT%H:%M:%SZ")
        if not u["department_id"]:
            del u["department_id"]
        out.append(u)
    return out


class World:
    """One org of N users (some invited, disabled or suspended) and its native picture."""

    def __init__(self):
        self.o = Org()
        self.tag = unique("r")
        items = _users(self.tag)
        for i in range(0, N, 1000):
            expect(self.o.call("POST", "/api/v1/users/bulk", json=items[i:i + 1000]), 201)
        for i in range(3):
            expect(self.o.create(email=f"inv{i}.{self.tag}@d0.example", first_name="Ann",
                                 last_name="Hart", invite=True, send_email=False), 201)
        self.users = self._native_all()
        rnd = random.Random(7)
        for u in rnd.sample([u for u in self.users if u["status"] == "active"
                             and u["access_level"] == "user"], 60):
            op = rnd.choice(["disable", "suspend"])
            expect(self.o.call("POST", f"/api/v1/users/{u['uid']}/{op}"), 200)
        self.users = self._native_all()
        assert len(self.users) >= N

    def _native_all(self):
        out, cursor = [], None
        while True:
            qs = "limit=1000" + (f"&cursor={cursor}" if cursor else "")
            r = expect(self.o.call("GET", f"/api/v1/users?{qs}"), 200).json()
            out += r["users"]
            cursor = r["next_cursor"]
            if not cursor:
                return out


world = once(World)


def low(v):
    return (v or "").lower()


def day(v):
    return (v or "")[:10]


# (Secureframe q, native q, field filters or None, the reference predicate over a native user)
CASES = [
    ("last_name:hart", "last_name:HART", {"last_name": "hart"}, lambda u: low(u["last_name"]) == "hart"),
    ("last_name:har*", "last_name:Har*", None, lambda u: low(u["last_name"]).startswith("har")),
    ("email:*@d3.example", "email:*@D3.example", None, lambda u: u["email"].endswith("@d3.example")),
    ("name:*nna*", "name:*NNA*", None, lambda u: "nna" in low(u["name"])),
    ("first_name:?va", "first_name:?va", None, lambda u: len(u["first_name"]) == 3
     and low(u["first_name"]).endswith("va")),
    ("first_name:a*a", "first_name:a*a", None, lambda u: low(u["first_name"]).startswith("a")
     and low(u["first_name"]).endswith("a") and len(u["first_name"]) >= 2),
    ("ann*", "ann*", None, lambda u: any(low(u[k]).startswith("ann")
                                        for k in ("first_name", "last_name", "name", "email"))),
    ('"ann hart"', '"ann hart"', None, lambda u: low(u["name"]) == "ann hart"),
    ("NOT active:true", "NOT active:true", {"active": "false"},
     lambda u: u["status"] in ("disabled", "suspended")),
    ("active:true AND employee_type:contractor", "active:true && employee_type:contractor",
     {"active": "true", "employee_type": "contractor"},
     lambda u: u["status"] in ("active", "pending") and u["employee_type"] == "contractor"),
    ("(department_id:d-1 OR department_id:d-2) AND NOT in_audit_scope:false",
     "department_id:(d-1 || D-2) -in_audit_scope:false", None,
     lambda u: low(u["department_id"]) in ("d-1", "d-2") and u["in_audit_scope"]),
    ("start_date:[2023-01-01 TO 2023-06-30]", "start_date:[2023-01-01 TO 2023-06-30]", None,
     lambda u: "2023-01-01" <= (u["start_date"] or "") <= "2023-06-30"),
    ("start_date:{2023-01-01 TO *}", "start_date:>2023-01-01", None,
     lambda u: (u["start_date"] or "") > "2023-01-01"),
    ("secureframe_agent_acknowledged_at:[* TO *]", "agent_acknowledged_at:*", None,
     lambda u: u["agent_acknowledged_at"] is not None),
    ("-secureframe_agent_acknowledged_at:[* TO *] AND last_name:ng",
     "NOT agent_acknowledged_at:* AND last_name:ng", None,
     lambda u: u["agent_acknowledged_at"] is None and low(u["last_name"]) == "ng"),
    ("secureframe_agent_acknowledged_at:[2024-03-01 TO 2024-03-31]",
     "agent_acknowledged_at:[2024-03-01 TO 2024-03-31]", None,
     lambda u: "2024-03-01" <= day(u["agent_acknowledged_at"]) <= "2024-03-31"),
    ("secureframe_agent_acknowledged_at:>2024-06-01", "agent_acknowledged_at:>2024-06-01", None,
     lambda u: day(u["agent_acknowledged_at"]) > "2024-06-01"),
    ("onboarding_status:completed OR personnel_status:offboarded",
     "onboarding_status:completed || personnel_status:offboarded", None,
     lambda u: u["onboarding_status"] == "completed" or u["personnel_status"] == "offboarded"),
    ('title:"senior engineer"', 'title:"Senior Engineer"', {"title": "senior engineer"},
     lambda u: low(u["title"]) == "senior engineer"),
    ("title:senior*", "title:senior*", None, lambda u: low(u["title"]).startswith("senior")),
    ("last_name:(hart OR hill) -first_name:ann*", "last_name:(hart OR hill) !first_name:ann*", None,
     lambda u: low(u["last_name"]) in ("hart", "hill") and not low(u["first_name"]).startswith("ann")),
    ("invited:true", "invited:true", {"invited": "true"}, lambda u: u["invited_at"] is not None),
    ("last_name:o\\'neil", "last_name:\"O'Neil\"", {"last_name": "o'neil"},
     lambda u: low(u["last_name"]) == "o'neil"),
    ('last_name:"van dyke" OR last_name:mørk', 'last_name:van\\ dyke || last_name:mørk', None,
     lambda u: low(u["last_name"]) in ("van dyke", "mørk")),
    ("email:*@d1.example AND last_name:>m", "email:*@d1.example AND last_name:>m", None,
     lambda u: u["email"].endswith("@d1.example") and low(u["last_name"]).encode() > b"m"),
    ("employee_type:workspace AND title:*", "employee_type:workspace AND title:[* TO *]", None,
     lambda u: u["employee_type"] == "workspace" and u["title"] != ""),
]


def q(v):
    """Percent-encoded; bytes go as they are, valid UTF-8 or not."""
    return urllib.parse.quote(v, safe="")


def _sf_pages(w, query, filters, per_page=100):
    """Every page of Secureframe's list, as lists of uids, until an empty one."""
    extra = "".join(f"&{k}={q(v)}" for k, v in (filters or {}).items())
    pages, page = [], 1
    while True:
        qs = (f"q={q(query)}" if query else "") + extra + f"&per_page={per_page}&page={page}"
        docs = expect(sf(w.o, "GET", "/users?" + qs.lstrip("&")), 200).json()
        if not docs:
            return pages
        pages.append([d["data"]["id"] for d in docs])
        page += 1


def _native_pages(w, query, filters, limit=100):
    extra = "".join(f"&{k}={q(v)}" for k, v in (filters or {}).items())
    pages, cursor = [], None
    while True:
        qs = (f"q={q(query)}" if query else "") + extra + f"&limit={limit}" + \
            (f"&cursor={cursor}" if cursor else "")
        r = expect(w.o.call("GET", "/api/v1/users?" + qs.lstrip("&")), 200).json()
        if r["users"]:
            pages.append([u["uid"] for u in r["users"]])
        cursor = r["next_cursor"]
        if not cursor:
            return pages


def _chunks(uids, size=100):
    return [uids[i:i + size] for i in range(0, len(uids), size)]


def test_every_query_answers_the_reference_page_by_page():
    w = world()
    dense = 0
    for sf_q, native_q, filters, pred in CASES:
        want = [u["uid"] for u in sorted(w.users, key=lambda u: u["id"]) if pred(u)]
        assert want, f"the reference selects nobody for {sf_q}: the data do not test it"
        dense += len(want) > 100
        assert _sf_pages(w, sf_q, None) == _chunks(want), ("secureframe q", sf_q)
        assert _native_pages(w, native_q, None) == _chunks(want), ("native q", native_q)
        if filters is not None:
            assert _sf_pages(w, None, filters) == _chunks(want), ("secureframe filters", filters)
            assert _native_pages(w, None, filters) == _chunks(want), ("native filters", filters)
    assert dense >= 8, "too few queries span several pages"


def test_pages_of_other_sizes_and_both_surfaces_together():
    w = world()
    want = [u["uid"] for u in sorted(w.users, key=lambda u: u["id"])
            if low(u["last_name"]).startswith("hill")]
    assert len(want) > 37
    assert _sf_pages(w, "last_name:hill*", None, per_page=37) == _chunks(want, 37)
    assert _native_pages(w, "last_name:hill*", None, limit=37) == _chunks(want, 37)
    # A q and a filter together: both hold.
    want = [x["uid"] for x in sorted(w.users, key=lambda u: u["id"])
            if low(x["last_name"]).startswith("hill") and x["employee_type"] == "contractor"]
    assert _sf_pages(w, "last_name:hill*", {"employee_type": "contractor"}) == _chunks(want)
    assert _native_pages(w, "last_name:hill*", {"employee_type": "contractor"}) == _chunks(want)


def test_native_sorts_page_through_the_reference_in_order():
    w = world()
    chosen = [u for u in w.users if u["email"].endswith("@d2.example")]
    for sort, key in (("email", lambda u: u["email"].lower().encode()),
                      ("-email", lambda u: u["email"].lower().encode()),
                      ("created_at", lambda u: (u["created_at"], u["id"])),
                      ("-id", lambda u: u["id"])):
        rev = sort.startswith("-")
        want = [u["uid"] for u in sorted(chosen, key=key, reverse=rev)]
        pages, cursor = [], None
        while True:
            qs = f"q={q('email:*@d2.example')}&sort={sort}&limit=100" + (f"&cursor={cursor}" if cursor else "")
            r = expect(w.o.call("GET", "/api/v1/users?" + qs), 200).json()
            pages += [u["uid"] for u in r["users"]]
            cursor = r["next_cursor"]
            if not cursor:
                break
        # Bulk creation gives many users one instant: for created_at the id breaks the tie.
        assert pages == want, sort


def test_injection_and_abuse_in_q_are_400_or_literal_never_500():
    w = world()
    attempts = [
        "last_name:\"x' OR '1'='1\"", "last_name:x'); DROP TABLE gatehouse.users; --",
        "email:*' OR 1=1 --*", "name:%", "name:_", "name:*%*", "name:*\\\\*", "title:$1",
        "title:\"$1::text\"", "last_name:(((((x)))))", "first_name:" + "a" * 5000,
        "(" * 17 + "x" + ")" * 17, "-" * 20 + "x", " OR ".join(["x"] * 65),
        "shoe_size:9", "u.id:1", "id:1 OR 1=1", "email:a\x00b", b"name:\xed\xa0\x80", b"name:\xff",
        "last_name:[a TO", "last_name:\\", "name:foo~2", "*:*", "_:x", "last_name:>", "title:\"unterminated",
    ]
    for a in attempts:
        for path in ("/secureframe/users?q=", "/api/v1/users?q="):
            if path.startswith("/secure"):
                r = sf(w.o, "GET", "/users?q=" + q(a))
            else:
                r = w.o.call("GET", path + q(a))
            assert r.status in (200, 400), (path, a, r)
    # What looks like SQL is only ever a value.
    assert _sf_pages(w, "last_name:\"x' OR '1'='1\"", None) == []
    assert _sf_pages(w, "name:*%*", None) == []
    r = request("GET", "/api/v1/users?q=" + q("title:x") + "&title=" + q("' OR 1=1 --"),
                key=w.o.keys["admin"])
    assert expect(r, 200).json()["users"] == []
