#!/usr/bin/env python3
"""bench/signin.py: sign-in through the pages at the stack's real password cost.

Sequential latency (median, p90) of: a right password (known account), a wrong
password for a known account, any password for an unknown account (the two must
not differ by more than the noise: the unknown one is verified against a dummy
hash), and password + TOTP; then throughput of password-only sign-ins on
BENCH_SIGNIN_THREADS parallel clients for BENCH_SIGNIN_SECONDS. Standard library only.

    GATEHOUSE_URL=… GATEHOUSE_ADMIN_KEY=… bench/signin.py     (./dev bench runs it)

The key's org gets the accounts. Failures are interleaved with successes, which clear
the address's and the account's failure counts, so the lockout and the growing
delay (docs/signin.md) never step in: every attempt hashes.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import statistics
import struct
import threading
import time
import urllib.parse
import uuid

URL = urllib.parse.urlsplit(os.environ["GATEHOUSE_URL"])
KEY = os.environ["GATEHOUSE_ADMIN_KEY"]
ROUNDS = int(os.environ.get("BENCH_SIGNIN_ROUNDS", "20"))
THREADS = int(os.environ.get("BENCH_SIGNIN_THREADS", "4"))
SECONDS = float(os.environ.get("BENCH_SIGNIN_SECONDS", "10"))
PW = "correct horse battery staple"
CSRF = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def call(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def api(method, path, obj=None):
    st, _, body = call(method, path, json.dumps(obj) if obj is not None else None,
                       {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    assert st < 300, (method, path, st, body[:300])
    return json.loads(body) if body else None


def form(path, fields, cookie=""):
    return call("POST", path, urllib.parse.urlencode(fields),
                {"Content-Type": "application/x-www-form-urlencoded",
                 "Cookie": f"gh_csrf={CSRF}{cookie}"})


def login(org, name, password):
    """One password step: (status, the session cookie or None, seconds)."""
    t = time.perf_counter()
    st, h, _ = form("/login", {"csrf": CSRF, "org": org, "login": name, "password": password})
    took = time.perf_counter() - t
    m = re.match(r"(gh_session=[^;]+)", h.get("set-cookie", ""))
    return st, m.group(1) if m else None, took


def totp(key, step):
    mac = hmac.new(base64.b32decode(key + "=" * (-len(key) % 8)), struct.pack(">Q", step),
                   hashlib.sha1).digest()
    off = mac[19] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 1000000)


def ms(v):
    return f"{1000 * v:.0f} ms"


def summary(label, times):
    times = sorted(times)
    print(f"{label:<34} median {ms(statistics.median(times)):>8}   p90 "
          f"{ms(times[int(0.9 * (len(times) - 1))]):>8}   n={len(times)}", flush=True)
    return statistics.median(times)


def main():
    org = api("GET", "/api/v1/org")["name"]
    tag = uuid.uuid4().hex[:8]
    user = api("POST", "/api/v1/users", {"email": f"bench-si-{tag}@example.com",
                                          "username": f"bench-si-{tag}", "password": PW})
    right, wrong, unknown = [], [], []
    for _ in range(ROUNDS):
        for bucket, name, pw, want in ((wrong, user["username"], PW + "!", 401),
                                       (unknown, f"nobody-{tag}", PW, 401),
                                       (right, user["username"], PW, 303)):
            st, _, took = login(org, name, pw)
            assert st == want, (name, st)
            bucket.append(took)
    a = summary("password, right (known account)", right)
    b = summary("password, wrong (known account)", wrong)
    c = summary("password, any (unknown account)", unknown)
    print(f"{'unknown minus known-wrong':<34} {ms(c - b):>15} ({100 * (c - b) / b:+.1f} %)")

    # Password + TOTP: accounts enrolled through the pages, one flow per account and step.
    flows, keys = [], []
    for i in range(min(ROUNDS, 10)):
        name = f"bench-tf-{tag}-{i}"
        api("POST", "/api/v1/users", {"email": f"{name}@example.com", "username": name,
                                      "password": PW})
        st, cookie, _ = login(org, name, PW)
        _, _, page = call("GET", "/login/enrol", headers={"Cookie": f"{cookie}; gh_csrf={CSRF}"})
        key = re.search(rb"Key: <code>([A-Z2-7]+)</code>", page).group(1).decode()
        st, _, _ = form("/login/enrol", {"csrf": CSRF, "code": totp(key, int(time.time()) // 30)},
                        f"; {cookie}")
        assert st == 200, st
        keys.append((name, key))
    for name, key in keys:
        t = time.perf_counter()
        st, cookie, _ = login(org, name, PW)
        assert st == 303, st
        st, _, _ = form("/login/totp", {"csrf": CSRF, "code": totp(key, int(time.time()) // 30 + 1)},
                        f"; {cookie}")
        assert st == 303, st
        flows.append(time.perf_counter() - t)
    summary("password + TOTP (two requests)", flows)

    done, stop = [], time.monotonic() + SECONDS

    def worker():
        n = 0
        while time.monotonic() < stop:
            st, _, _ = login(org, user["username"], PW)
            assert st == 303, st
            n += 1
        done.append(n)

    start = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    took = time.monotonic() - start
    print(f"{'password sign-ins, ' + str(THREADS) + ' clients':<34} {sum(done) / took:8.2f} /s "
          f"over {took:.1f} s ({sum(done)} sign-ins)")
    print("signin: done")


if __name__ == "__main__":
    main()
