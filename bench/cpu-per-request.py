#!/usr/bin/env python3
"""cpu-per-request.py: the CPU time the server side of each bench scenario spends per request.

On a machine shared with other work, requests per second measure the machine
as much as the program: the ceiling itself moved from 10k to 31k req/s between
runs minutes apart. CPU time per request moves much less. Run beside
`./dev bench`, with its output going to a file:

    ./dev bench > var/bench.log 2>&1 &
    bench/cpu-per-request.py var/bench.log var/bench

It reads the processes of that bench stack from /proc (PostgreSQL of its
cluster, the gatehouse workers, its nginx; for the ceiling the noop workers
and the ceiling's nginx; never wrk), takes their CPU time as each scenario
starts (the "==> NAME at N connections: warm-up" lines, the table's and the
sweep's) and when the table appears, and divides each run's by its requests
(req/s times warm-up plus measured seconds). The last column is the
ceiling's CPU per request at the same connections over the scenario's: what
share of the ceiling the scenario could reach on an idle machine, where CPU
is the limit (wrk's own CPU left aside).
"""
import os
import re
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def stat(pid):
    """(ppid, CPU seconds) of pid, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def classify(pid, ppid, state, root):
    """Which side of which site a process serves, or None."""
    line = cmdline(pid)
    if line.startswith(f"{root}/build/gatehouse"):
        return "app"
    if line.startswith(f"{state}/noop"):
        return "ceiling-app"
    if line.startswith("postgres") or "/bin/postgres " in line:
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            return None
        return "db" if cwd.startswith(f"{state}/pg/") or cwd.startswith(os.path.realpath(f"{state}/pg/")) \
            else None
    if line.startswith("nginx"):
        master = line if "master" in line else cmdline(ppid)
        if f"{state}/nginx-noop" in master:
            return "ceiling-web"
        if f"{state}/nginx" in master or os.path.realpath(f"{state}/nginx") in master:
            return "web"
    return None


def snapshot(state, root):
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        s = stat(d)
        if s is None:
            continue
        side = classify(d, s[0], state, root)
        if side is not None:
            out[d] = (side, s[1])
    return out


def spent(a, b):
    """CPU seconds per side between two snapshots (processes new in b count whole)."""
    total = {}
    for pid, (side, cpu) in b.items():
        total[side] = total.get(side, 0.0) + cpu - (a[pid][1] if pid in a else 0.0)
    return total


def main(log_path, state):
    state = os.path.abspath(state)
    root = os.path.dirname(os.path.dirname(state))
    marks, seen, done = [], 0, False
    while not done:
        try:
            with open(log_path) as f:
                lines = f.read().splitlines()
        except OSError:
            lines = []
        for line in lines[seen:]:
            m = re.match(r"==> (\S+) at (\d+) connections: warm-up", line)
            if m:
                marks.append(((m.group(1), int(m.group(2))), snapshot(state, root)))
            elif line.startswith("scenario ") and marks:
                # run.sh prints its table once every run, the sweep's too, is over.
                marks.append((("end", 0), snapshot(state, root)))
                done = True
                break
        seen = len(lines)
        if not done:
            time.sleep(0.05)
    time.sleep(1)
    with open(log_path) as f:
        text = f.read()
    m = re.search(r"-c(\d+) -d(\d+)s .*\(after (\d+)s warm-up\)", text)
    conns, seconds = int(m.group(1)), int(m.group(2)) + int(m.group(3))
    # The table's rows (at BENCH_CONNECTIONS) and the sweep's ("conns scenario req/s …").
    rps = {(n, conns, "table"): int(r) for n, r in
           re.findall(r"^(\S+)(?: \(noop\))?\s+(\d+)\s+[\d.]+\s", text, re.M)}
    rps.update({(n, int(c), "sweep"): int(r) for c, n, r in
                re.findall(r"^\s+(\d+) (\S+)\s+(\d+)\s+[\d.]+\s", text, re.M)})
    # The table's runs come first, all at its connections; the sweep's after.
    phase, seen_keys, rows = "table", set(), []
    for (key, a), (_, b) in zip(marks, marks[1:]):
        if key in seen_keys or key[1] != conns:
            phase = "sweep"
        seen_keys.add(key)
        used = spent(a, b)
        n = rps.get((*key, phase), 0) * seconds
        if n == 0:
            continue
        sides = ("ceiling-web", "ceiling-app") if key[0] == "ceiling" else ("web", "app", "db")
        per = {s: used.get(s, 0.0) / n * 1e6 for s in sides}
        rows.append(((*key, phase), n, per))
    ceilings = {(c, ph): sum(p.values()) for (name, c, ph), _, p in rows if name == "ceiling"}
    print(f"{'scenario':<14} {'conns':>5} {'requests':>9}  CPU µs per request (server side)")
    for (name, c, ph), n, per in rows:
        total = sum(per.values())
        parts = "  ".join(f"{s} {v:.0f}" for s, v in per.items())
        share = f"{100 * ceilings[(c, ph)] / total:.0f}% of ceiling" if (c, ph) in ceilings else ""
        print(f"{name:<14} {c:>5} {n:>9}  {total:6.0f}  ({parts})  {share}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: cpu-per-request.py BENCH_LOG BENCH_STATE")
    main(sys.argv[1], sys.argv[2])
