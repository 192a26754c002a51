#!/usr/bin/python3
"""Loopback smoke test for external-service (python3 stdlib only).

Usage: check.py [path/to/counter-service]

Starts counter-service and external-service (via start.sh, i.e. gunicorn) on
127.0.0.1 only, checks /health, / (counter increments), then stops the
counter and checks that / answers 502 quickly.  Needs gunicorn, python3-flask
and python3-requests (Debian packages) and a built counter-service.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
COUNTER = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "counter-service", "counter-service")
HOST = "127.0.0.1"
failures = []


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f" {detail}"))
    if not cond:
        failures.append(name)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def fetch(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_http(url, deadline_s=15):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            return fetch(url, timeout=1)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def stop(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()
    return proc.returncode if proc else None


def main():
    cport, eport = free_port(), free_port()
    counter = web = None
    try:
        counter = subprocess.Popen([COUNTER, str(cport), HOST])
        base = f"http://{HOST}:{eport}"
        env = dict(os.environ, PORT=str(eport), BIND_ADDRESS=HOST,
                   COUNTER_SERVICE_URL=f"http://{HOST}:{cport}")
        web = subprocess.Popen(["sh", os.path.join(HERE, "start.sh")], env=env,
                               stdout=subprocess.DEVNULL)
        st, body = wait_http(base + "/health")
        check("GET /health -> 200 ok", (st, body) == (200, "ok"), f"{st} {body!r}")

        st1, b1 = fetch(base + "/")
        st2, b2 = fetch(base + "/")
        m1 = re.fullmatch(r"Hello from external-service! The counter is at (\d+)\.", b1)
        m2 = re.fullmatch(r"Hello from external-service! The counter is at (\d+)\.", b2)
        check("GET / -> 200 with counter", st1 == 200 and m1 is not None, f"{st1} {b1!r}")
        check("counter increments across calls", m1 and m2 and int(m2[1]) == int(m1[1]) + 1, f"{b1!r} {b2!r}")
        print(f"     {b2}")

        rc = stop(counter)
        check("counter-service stopped with exit 0", rc == 0, f"rc={rc}")
        t0 = time.monotonic()
        st, body = fetch(base + "/")
        dt = time.monotonic() - t0
        check("GET / with counter down -> 502", st == 502, f"{st} {body!r}")
        check("502 message names the URL and reason",
              body.startswith(f"counter service unreachable at http://{HOST}:{cport}/get_and_increment_counter: ")
              and "\n" not in body, repr(body))
        check("502 answered quickly (< 3.5 s)", dt < 3.5, f"{dt:.2f}s")
        print(f"     {body}  ({dt * 1000:.0f} ms)")
    finally:
        stop(counter)
        rc = stop(web)
    check("gunicorn exits 0 on SIGTERM", rc == 0, f"rc={rc}")
    print(f"\n{len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
