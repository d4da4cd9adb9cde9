"""test_openapi.py: docs/openapi.yaml documents exactly the native routes of src/api/*.c.

Reads the source tree only (no HTTP): the route rows `{ "METHOD", "/path", handler,
&dialect_native, LEVEL, … }` of every src/api/*.c, and the `paths:` of
docs/openapi.yaml with a small line reader (no YAML library: the document keeps
`paths:` at column 0, each path 2 spaces in and each method 4 spaces in).
"""
import re

from gh import ROOT
from routes import API_DIR, routes

OPENAPI = ROOT / "docs" / "openapi.yaml"
METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def native_routes():
    """Every native route row: {(METHOD, path): (file, table, level name or the raw token)}."""
    return routes("native")


def documented_operations():
    """Every operation under `paths:`: {(METHOD, path): {"x-access-level": …}}."""
    ops, paths = {}, set()
    in_paths, path, method = False, None, None
    block = None            # indent of a key whose block scalar (| or >) is being skipped
    for n, raw in enumerate(OPENAPI.read_text().splitlines(), 1):
        line = raw.rstrip()
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        if not body:
            continue
        if block is not None:
            if indent > block:
                continue
            block = None
        if body.startswith("#"):
            continue
        if re.search(r":\s*[|>][-+0-9]*$", body):
            block = indent
        assert "\t" not in line[:indent + 1], f"openapi.yaml:{n}: indent with spaces"
        if indent == 0:
            assert body != "paths: {}", "openapi.yaml: write paths in block style"
            in_paths = body == "paths:"
            continue
        if not in_paths:
            continue
        if indent == 2:
            m = re.fullmatch(r"""(['"]?)(/[^'"]*)\1:""", body)
            assert m, f"openapi.yaml:{n}: expected a path key, got {body!r}"
            path, method = m.group(2), None
            assert path not in paths, f"openapi.yaml:{n}: path {path} appears twice"
            paths.add(path)
        elif indent == 4:
            key = body.split(":", 1)[0].strip("'\"")
            method = key if key in METHODS else None
            if method is not None:
                assert body == f"{key}:", f"openapi.yaml:{n}: write operations in block style"
                ops[(key.upper(), path)] = {}
        elif indent == 6 and method is not None:
            m = re.fullmatch(r"x-access-level:\s*(\S+)", body)
            if m:
                ops[(method.upper(), path)]["x-access-level"] = m.group(1).strip("'\"")
    return ops


def test_route_tables_are_read():
    routes = native_routes()
    files = {f for f, _, _ in routes.values()}
    for f in ("native.c", "native_users.c", "native_org.c"):
        assert f in files, f"no native route rows read from src/api/{f}"
    assert ("GET", "/api/v1/users/{uid}") in routes
    assert ("GET", "/healthz") in routes


def test_openapi_document_is_3_1_and_read():
    first = next(l for l in OPENAPI.read_text().splitlines() if l and not l.startswith("#"))
    assert re.fullmatch(r"openapi: ['\"]?3\.1\.\d+['\"]?", first), first
    ops = documented_operations()
    assert ("GET", "/api/v1/users/{uid}") in ops and ("GET", "/healthz") in ops


def test_every_native_route_table_is_served():
    # A table left out of the native surface (native.c), or a surface left out of
    # surfaces.c, would be documented but answer 404.
    files = {f for f, _, _ in native_routes().values()}
    native = _COMMENT.sub(" ", (API_DIR / "native.c").read_text())
    lists = re.search(r"native_lists\[\]\s*=\s*\{(?P<body>[^}]*)\}", native)
    assert lists, "native.c has no native_lists"
    missing = []
    for f in sorted(files):
        text = _COMMENT.sub(" ", (API_DIR / f).read_text())
        exported = re.findall(r"struct\s+route_list\s+(\w+)\s*=\s*ROUTE_LIST\(", text)
        assert exported, f"{f} has native routes but exports no route list"
        missing += [f"{f}: {e}" for e in exported if not re.search(rf"&{e}\b", lists["body"])]
    assert not missing, f"route lists not in native.c's native_lists: {missing}"
    surfaces = _COMMENT.sub(" ", (API_DIR / "surfaces.c").read_text())
    assert re.search(r"&surface_native\b", surfaces), "surface_native is not in surfaces.c"


def test_every_native_route_is_documented():
    ops = documented_operations()
    missing = sorted(f"{m} {p}  ({f})" for (m, p), (f, _, _) in native_routes().items()
                     if (m, p) not in ops)
    assert not missing, "routes missing from docs/openapi.yaml:\n  " + "\n  ".join(missing)


def test_every_documented_route_exists():
    routes = native_routes()
    extra = sorted(f"{m} {p}" for m, p in documented_operations() if (m, p) not in routes)
    assert not extra, "docs/openapi.yaml documents routes the code lacks:\n  " + "\n  ".join(extra)


def test_documented_access_levels_match_route_tables():
    ops = documented_operations()
    wrong = []
    for key, (f, _, need) in sorted(native_routes().items()):
        if key not in ops:
            continue        # reported by test_every_native_route_is_documented
        got = ops[key].get("x-access-level")
        if got != need:
            wrong.append(f"{key[0]} {key[1]}: x-access-level {got!r}, {f} says {need!r}")
    assert not wrong, "access levels differ:\n  " + "\n  ".join(wrong)
