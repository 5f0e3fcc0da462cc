#!/usr/bin/env python3
"""A real, independent POP3 client for the agent's tests: Python's standard poplib.

Usage: poplib-client.py '<json>' where the JSON is
  {"host": "127.0.0.1", "cafile": "<pem>", "maxTls": "TLSv1.2"?, "steps": [[conn, op, *args], ...]}
Each step runs one poplib call on the named connection (several connections may be open at once) and
prints, as one JSON array, {"ok": result, "ms": elapsed} or {"error": message, "type": class, "ms": ...}.
A failing step does not stop the script: the test asserts on every reply.
"""
import json
import poplib
import ssl
import sys
import time


def plain(value):
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {plain(key): plain(item) for key, item in value.items()}
    return value


def tls_context(spec):
    context = ssl.create_default_context(cafile=spec["cafile"])
    # The test certificate names the agent's hostname; the tests dial 127.0.0.1.
    context.check_hostname = False
    if spec.get("maxTls") == "TLSv1.2":
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


def run_step(spec, connections, name, op, args):
    if op == "connect":
        port, mode = args
        if mode == "implicit":
            connections[name] = poplib.POP3_SSL(spec["host"], port, context=tls_context(spec), timeout=15)
        else:
            connections[name] = poplib.POP3(spec["host"], port, timeout=15)
        return connections[name].getwelcome()
    conn = connections[name]
    if op == "stls":
        return conn.stls(context=tls_context(spec))
    if op == "tls":
        return conn.sock.version()
    if op == "raw":
        return conn._shortcmd(args[0])
    if op == "close":
        conn.close()
        return None
    if op == "sleep":
        time.sleep(args[0])
        return None
    return getattr(conn, op)(*args)


def main():
    spec = json.loads(sys.argv[1])
    connections = {}
    results = []
    for step in spec["steps"]:
        name, op, args = step[0], step[1], step[2:]
        started = time.monotonic()
        try:
            value = run_step(spec, connections, name, op, args)
            results.append({"ok": plain(value), "ms": round((time.monotonic() - started) * 1000)})
        except Exception as error:  # noqa: BLE001 - every failure is a result the test checks
            results.append(
                {
                    "error": plain(error.args[0]) if error.args else str(error),
                    "type": type(error).__name__,
                    "ms": round((time.monotonic() - started) * 1000),
                }
            )
    print(json.dumps(results))


main()
