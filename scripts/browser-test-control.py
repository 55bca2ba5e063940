#!/usr/bin/env python3
"""Test controller for the browser tests (scripts/browser-test).

Runs the `syncwire` server (by PID, durable storage in DATA_DIR) and lets the
browser tests stop / start / restart it over HTTP with CORS:
  GET /stop  GET /start  GET /restart   -> 200 "ok" once done (start waits until listening)
Usage: browser-test-control.py SYNCWIRE_BIN SERVER_PORT CONTROL_PORT DATA_DIR [TIMEOUT_S]
Exits (stopping the server) after TIMEOUT_S (default 600) as a self-destruct.
"""
import http.server, socket, subprocess, sys, threading, time, os, signal

BIN, PORT, CTRL, DATA = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
TIMEOUT = float(sys.argv[5]) if len(sys.argv) > 5 else 600.0
server = None
lock = threading.Lock()


def listening():
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=0.2):
            return True
    except OSError:
        return False


def start():
    global server
    if server is not None and server.poll() is None:
        return
    server = subprocess.Popen([BIN, "serve", "--open", "--data-dir", DATA,
                               "--addr", f"127.0.0.1:{PORT}"])
    for _ in range(200):
        if listening():
            return
        time.sleep(0.05)
    raise RuntimeError("syncwire did not start")


def stop():
    global server
    if server is not None and server.poll() is None:
        server.kill()  # a crash, not a graceful shutdown
        server.wait()
    server = None
    for _ in range(100):
        if not listening():
            return
        time.sleep(0.05)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        actions = {"/stop": [stop], "/start": [start], "/restart": [stop, start]}
        todo = actions.get(self.path)
        if todo is None:
            self.send_response(404)
            body = b"unknown"
        else:
            with lock:
                for f in todo:
                    f()
            self.send_response(200)
            body = b"ok"
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def shutdown(*_):
    stop()
    os._exit(0)


signal.signal(signal.SIGTERM, shutdown)
signal.signal(signal.SIGINT, shutdown)
threading.Timer(TIMEOUT, shutdown).start()
start()
print(f"control: syncwire on 127.0.0.1:{PORT}, control on 127.0.0.1:{CTRL}", flush=True)
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", CTRL), Handler)
httpd.serve_forever()
