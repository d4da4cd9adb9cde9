"""fcgi.py: a minimal FastCGI client (responder role) for testing the worker model without nginx."""
import socket
import struct

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT, STDERR = 1, 2, 3, 4, 5, 6, 7


def _record(rtype, content, req_id=1):
    out = b""
    for i in range(0, max(len(content), 1), 65535):
        chunk = content[i:i + 65535]
        pad = (-len(chunk)) % 8
        out += struct.pack("!BBHHBx", 1, rtype, req_id, len(chunk), pad) + chunk + b"\0" * pad
        if not content:
            break
    return out


def _nv(name, value):
    def ln(n):
        return struct.pack("!B", n) if n < 128 else struct.pack("!I", n | 0x80000000)
    name, value = name.encode(), value.encode()
    return ln(len(name)) + ln(len(value)) + name + value


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(15)
    s.connect(path)
    return s


def send_head(s, method, uri, body_len=0, headers=None, keep=False):
    """Sends BEGIN_REQUEST and PARAMS; the body follows with send_body."""
    s.sendall(_record(BEGIN, struct.pack("!HB5x", 1, 1 if keep else 0)))
    params = {"REQUEST_METHOD": method, "REQUEST_URI": uri, "CONTENT_LENGTH": str(body_len),
              "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1"}
    params.update(headers or {})
    s.sendall(_record(PARAMS, b"".join(_nv(k, v) for k, v in params.items())) + _record(PARAMS, b""))


def send_body(s, data, last=True):
    if data:
        s.sendall(_record(STDIN, data))
    if last:
        s.sendall(_record(STDIN, b""))


def read_response(s):
    """Reads records until END_REQUEST; returns (status, headers, body)."""
    buf, out = b"", b""
    while True:
        while len(buf) < 8:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed before END_REQUEST")
            buf += chunk
        _, rtype, _, clen, pad = struct.unpack("!BBHHBx", buf[:8])
        while len(buf) < 8 + clen + pad:
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed mid-record")
            buf += chunk
        content, buf = buf[8:8 + clen], buf[8 + clen + pad:]
        if rtype == STDOUT:
            out += content
        elif rtype == END:
            break
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    status = int(headers.get("status", "200").split()[0])
    return status, headers, body


def request(path, method, uri, body=b"", headers=None):
    """One request on a connection of its own; returns (status, headers, body)."""
    s = connect(path)
    try:
        send_head(s, method, uri, len(body), headers)
        send_body(s, body)
        return read_response(s)
    finally:
        s.close()


def get(path, uri, headers=None):
    return request(path, "GET", uri, b"", headers)
