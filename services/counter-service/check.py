#!/usr/bin/env python3
"""Black-box checks for counter-service (python3 stdlib only).

Usage: check.py [path/to/counter-service]

Starts the server on 127.0.0.1 with port 0 (the kernel picks a free high
port, which the server reports in its start-up log line), runs the checks,
then stops it with SIGTERM and expects exit status 0.  Only 127.0.0.1 is
contacted.
"""
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"
BINARY = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "counter-service")

failures = []
passed = 0


def check(name, cond, detail=""):
    global passed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failures.append(name)
        print(f"FAIL {name} {detail}")


def get(port, path, method="GET"):
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


def raw(port, data, timeout=5):
    """Send raw bytes, read until the server closes; returns all bytes received."""
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)


def status_of(resp):
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", resp)
    return int(m.group(1)) if m else None


def start():
    proc = subprocess.Popen([BINARY, "0", HOST], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    line = proc.stderr.readline().decode()
    m = re.search(r"listening on [\d.]+:(\d+)", line)
    if not m:
        proc.kill()
        proc.wait()
        sys.exit(f"counter-service did not start: {line!r}")
    return proc, int(m.group(1)), line.strip()


def run_checks(port):
    st, body = get(port, "/health")
    check("health -> 200 ok", (st, body) == (200, "ok"), f"got {st} {body!r}")

    counts = []
    for _ in range(3):
        st, body = get(port, "/get_and_increment_counter")
        counts.append(int(body) if st == 200 else None)
    check("first counter call returns 1", counts[0] == 1, f"got {counts}")
    check("three counter calls increase by 1", counts[1] == counts[0] + 1 and counts[2] == counts[1] + 1, f"got {counts}")

    st, _ = get(port, "/nope")
    check("unknown path -> 404", st == 404, f"got {st}")
    st, _ = get(port, "/health", method="POST")
    check("POST /health -> 405", st == 405, f"got {st}")
    st, body = get(port, "/health?probe=1")
    check("query string ignored", (st, body) == (200, "ok"), f"got {st}")

    resp = raw(port, b"GARBAGE\r\n\r\n")
    check("garbage request line -> 400 + close", status_of(resp) == 400, repr(resp[:60]))
    resp = raw(port, b"GET /health\r\n\r\n")
    check("missing HTTP version -> 400", status_of(resp) == 400, repr(resp[:60]))
    resp = raw(port, b"GET /health HTTP/9.9\r\n\r\n")
    check("bad HTTP version -> 400", status_of(resp) == 400, repr(resp[:60]))
    resp = raw(port, b"GET /health HTTP/1.1\r\nX-Big: " + b"a" * 10000 + b"\r\n\r\n")
    check("header too large -> 400", status_of(resp) == 400, repr(resp[:60]))
    resp = raw(port, b"GET /health HTTP/1.1\r\nno colon here\r\n\r\n")
    check("malformed header -> 400", status_of(resp) == 400, repr(resp[:60]))
    resp = raw(port, b"\x00\x01\x02\xff")
    check("binary garbage -> 400", status_of(resp) == 400, repr(resp[:60]))

    # keep-alive: two requests on one connection
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    conn.request("GET", "/get_and_increment_counter")
    r1 = conn.getresponse()
    a = int(r1.read())
    sock1 = conn.sock
    conn.request("GET", "/get_and_increment_counter")
    r2 = conn.getresponse()
    b = int(r2.read())
    check("keep-alive: two requests on one connection",
          not r1.will_close and sock1 is not None and conn.sock is sock1 and b == a + 1,
          f"will_close={r1.will_close} a={a} b={b}")
    conn.close()

    # Connection: close is honoured
    resp = raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check("Connection: close honoured", status_of(resp) == 200 and b"Connection: close" in resp, repr(resp[:80]))
    # HTTP/1.0 closes by default (raw() returns only once the server closes)
    resp = raw(port, b"GET /health HTTP/1.0\r\n\r\n")
    check("HTTP/1.0 closes by default", status_of(resp) == 200 and resp.endswith(b"ok"), repr(resp[:80]))
    # HTTP/1.0 with keep-alive stays open for a second request
    with socket.create_connection((HOST, port), timeout=5) as s:
        s.sendall(b"GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        first = s.recv(4096)
        s.sendall(b"GET /health HTTP/1.0\r\n\r\n")
        rest = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            rest += d
        check("HTTP/1.0 keep-alive honoured", status_of(first) == 200 and b"keep-alive" in first and status_of(rest) == 200,
              repr((first[:40], rest[:40])))
    # pipelining: two requests in one write
    resp = raw(port, b"GET /health HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\nConnection: close\r\n\r\n")
    check("pipelined requests both answered", resp.count(b"HTTP/1.1 200 OK") == 2, repr(resp[:80]))

    # 200 concurrent requests across 50 connections
    nconn, per_conn = 50, 4
    results, errors = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(nconn)

    def worker():
        try:
            c = http.client.HTTPConnection(HOST, port, timeout=10)
            c.connect()
            barrier.wait(timeout=10)
            got = []
            for _ in range(per_conn):
                c.request("GET", "/get_and_increment_counter")
                r = c.getresponse()
                body = r.read()
                got.append((r.status, int(body)))
            c.close()
            with lock:
                results.extend(got)
        except Exception as e:  # noqa: BLE001
            with lock:
                errors.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(nconn)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    values = [v for s, v in results if s == 200]
    check("200 concurrent requests over 50 connections: all 200, distinct counts",
          not errors and len(values) == nconn * per_conn and len(set(values)) == nconn * per_conn,
          f"errors={errors[:3]} answered={len(values)} distinct={len(set(values))}")
    st, body = get(port, "/get_and_increment_counter")
    check("counter consistent after concurrency", st == 200 and int(body) == max(values, default=0) + 1, f"got {body}")


def main():
    if not os.access(BINARY, os.X_OK):
        sys.exit(f"{BINARY} is not an executable; run make first")
    proc, port, line = start()
    print(f"started: {line}")
    try:
        run_checks(port)
    except Exception as e:  # noqa: BLE001
        failures.append(f"exception: {e!r}")
        print(f"FAIL exception {e!r}")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        tail = proc.stderr.read().decode()
        proc.stderr.close()
    check("SIGTERM -> exit 0", rc == 0, f"rc={rc}")
    check("logs 'shutting down'", "shutting down" in tail, repr(tail))
    print(f"\n{passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
