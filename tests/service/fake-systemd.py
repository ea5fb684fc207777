#!/usr/bin/python3
"""Plays systemd's side of the notify protocol (sd_notify(3)) for one service, without systemd.

Binds a unixgram socket, starts the command with NOTIFY_SOCKET and WATCHDOG_USEC set, and records every
datagram. After READY=1 and some WATCHDOG=1 pings it creates the stall file (the agent's test-only
knob that wedges its pipeline tick), checks that the pings stop, removes the file, checks that they
resume, then sends SIGTERM. Prints one JSON object with what it saw; the test asserts on it.

usage: fake-systemd.py --stall-file F [--watchdog-usec N] [--quiet-s S] -- command args...
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--stall-file", required=True)
ap.add_argument("--watchdog-usec", type=int, default=400_000)
ap.add_argument("--pings-before-stall", type=int, default=3)
ap.add_argument("--settle-s", type=float, default=2.5, help="after the stall, pings may go on this long")
ap.add_argument("--quiet-s", type=float, default=1.5, help="then none may come for this long")
ap.add_argument("--timeout-s", type=float, default=60)
ap.add_argument("cmd", nargs=argparse.REMAINDER)
a = ap.parse_args()
cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd

tmp = tempfile.mkdtemp(prefix="fake-systemd-")
path = os.path.join(tmp, "notify")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC=str(a.watchdog_usec))
child = subprocess.Popen(cmd, env=env, stderr=open(os.path.join(tmp, "stderr"), "wb"))
t0 = time.monotonic()
seen = []  # (seconds since start, datagram)


def receive_until(deadline, stop=lambda: False):
    while time.monotonic() < deadline and not stop():
        sock.settimeout(max(0.01, min(0.2, deadline - time.monotonic())))
        try:
            data = sock.recv(4096).decode()
        except socket.timeout:
            if child.poll() is not None:
                return
            continue
        seen.append((time.monotonic() - t0, data))


def pings_between(a_s, b_s):
    return sum(1 for t, d in seen if a_s <= t < b_s and "WATCHDOG=1" in d.split("\n"))


def has(line):
    return any(line in d.split("\n") for _, d in seen)


out = {}
deadline = time.monotonic() + a.timeout_s
receive_until(deadline, lambda: has("READY=1"))
out["ready"] = has("READY=1")
receive_until(deadline, lambda: pings_between(0, 1e9) >= a.pings_before_stall)
out["pings_before_stall"] = pings_between(0, 1e9)
# Wedge the tick.
open(a.stall_file, "w").close()
stall_at = time.monotonic() - t0
receive_until(time.monotonic() + a.settle_s + a.quiet_s)
out["pings_while_settling"] = pings_between(stall_at, stall_at + a.settle_s)
out["pings_while_stalled"] = pings_between(stall_at + a.settle_s, stall_at + a.settle_s + a.quiet_s)
out["unhealthy_status"] = [d for t, d in seen if t >= stall_at and d.startswith("STATUS=unhealthy")][:1]
# Unwedge it: the pings come back.
os.unlink(a.stall_file)
resume_at = time.monotonic() - t0
receive_until(time.monotonic() + 10, lambda: pings_between(resume_at, 1e9) > 0)
out["pings_after_resume"] = pings_between(resume_at, 1e9)
child.send_signal(signal.SIGTERM)
receive_until(time.monotonic() + 10, lambda: has("STOPPING=1"))
out["stopping"] = has("STOPPING=1")
try:
    out["exit_code"] = child.wait(timeout=30)
except subprocess.TimeoutExpired:
    child.kill()
    out["exit_code"] = None
out["agent_stderr_tail"] = open(os.path.join(tmp, "stderr"), errors="replace").read()[-1500:]
sock.close()
os.unlink(path)
print(json.dumps(out))
