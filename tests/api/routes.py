"""routes.py: the route rows of src/api/*.c, read from the source, for tests generated from them.

A row is `{ "METHOD", "/path", handler, &dialect_<name>, LEVEL, … }`; the level
may be a macro #defined in the file (`A` for LEVEL_ADMIN). Each dialect's tests
generate their authorization matrix from routes("<name>").
"""
import re

from gh import ROOT

API_DIR = ROOT / "src" / "api"
LEVELS = {"ROUTE_PUBLIC": "public", "LEVEL_GUEST": "guest", "LEVEL_USER": "user",
          "LEVEL_ADMIN": "admin", "LEVEL_SUPER": "super"}

_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_TOKEN = re.compile(
    r"^[ \t]*#[ \t]*define[ \t]+(?P<def>\w+)[ \t]+(?P<val>\w+)[ \t]*$"
    r"|^[ \t]*#[ \t]*undef[ \t]+(?P<undef>\w+)"
    r"|\bconst\s+struct\s+route\s+(?P<table>\w+)\s*\[\s*\]"
    r'|\{\s*"(?P<method>[A-Z]+)"\s*,\s*"(?P<path>/[^"]*)"\s*,\s*(?P<handler>\w+)\s*,'
    r"\s*&dialect_(?P<dialect>\w+)\s*,\s*(?P<need>\w+)",
    re.M)


def routes(dialect="native"):
    """Every route row of one dialect: {(METHOD, path): (file, table, level name or the raw token)}."""
    found = {}
    for src in sorted(API_DIR.glob("*.c")):
        text = _COMMENT.sub(" ", src.read_text())
        defines, table = {}, None
        for m in _TOKEN.finditer(text):
            if m.group("def"):
                defines[m.group("def")] = m.group("val")
            elif m.group("undef"):
                defines.pop(m.group("undef"), None)
            elif m.group("table"):
                table = m.group("table")
            elif m.group("dialect") == dialect:
                key = (m.group("method"), m.group("path"))
                assert key not in found, f"{src.name}: route {key} is in the tables twice"
                need = defines.get(m.group("need"), m.group("need"))
                found[key] = (src.name, table, LEVELS.get(need, need))
    return found
