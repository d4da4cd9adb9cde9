"""test_layers.py: the include graph of src/ against architecture.json and the README.

Reads the source tree only (no HTTP). Each folder of src/ is a layer; a layer may
include its own headers and those of the layers architecture.json lets it. Every
arrow that really exists is named in the README's dependency paragraph, and no
arrow the README names is missing from the code's permissions.
"""
import json
import re

from gh import ROOT

SRC = ROOT / "src"
ARCH = json.loads((ROOT / "architecture.json").read_text())
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)


def header_layer():
    owner = {}
    for layer, headers in ARCH["headers"].items():
        for h in headers:
            owner[f"gatehouse/{h}"] = layer
    return owner


def real_arrows():
    """{(from_layer, to_layer): [file, …]} for every include across layers."""
    owner, arrows, unknown = header_layer(), {}, []
    for layer in ARCH["layers"]:
        for f in sorted((SRC / layer).glob("*.[ch]")):
            for inc in INCLUDE.findall(f.read_text()):
                if inc.startswith("gatehouse/"):
                    to = owner.get(inc)
                    if to is None:
                        unknown.append(f"{f.relative_to(ROOT)}: {inc}")
                    elif to != layer:
                        arrows.setdefault((layer, to), []).append(str(f.relative_to(ROOT)))
                elif inc in ARCH["external"] and layer not in ARCH["external"][inc]:
                    arrows.setdefault((layer, inc), []).append(str(f.relative_to(ROOT)))
    assert not unknown, f"headers architecture.json does not place in a layer: {unknown}"
    return arrows


def test_every_include_is_allowed():
    bad = []
    for (frm, to), files in sorted(real_arrows().items()):
        if to not in ARCH["layers"].get(frm, {}).get("may_include", []):
            bad.append(f"{frm} -> {to}: {sorted(set(files))}")
    assert not bad, "includes that cross layers architecture.json forbids:\n" + "\n".join(bad)


def test_the_api_layer_never_reaches_the_database():
    for f in sorted((SRC / "api").glob("*.[ch]")):
        incs = INCLUDE.findall(f.read_text())
        assert "gatehouse/db.h" not in incs and "libpq-fe.h" not in incs, f


def test_the_readme_names_every_real_arrow():
    readme = (ROOT / "README.md").read_text()
    para = re.search(r"Dependencies point one way:(.*?)(?:\n\n|\Z)", readme, re.S)
    assert para, "README has no dependency paragraph"
    named = set(re.findall(r"(\w+) → (\w+)", para.group(1)))
    real = {k for k in real_arrows() if k[1] in ARCH["layers"]}
    missing = sorted(f"{a} → {b}" for a, b in real - named)
    assert not missing, f"arrows in the code the README does not name: {missing}"
    stale = sorted(f"{a} → {b}" for a, b in named - real)
    assert not stale, f"arrows the README names that the code does not have: {stale}"
