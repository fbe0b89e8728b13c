#!/usr/bin/env python3
"""An upstream that answers the ways real servers do, for skillhost's tests.

Built on Python's standard http.server, which nobody here wrote: it writes
the head and the body in separate system calls, closes HTTP/1.0 connections
after the body, and keeps HTTP/1.1 ones alive. Every route's body is a
deterministic pattern (see `pattern`) so a test can check every byte.

    python3 upstream.py [--host 127.0.0.1] [--port 0] [--files DIR]

prints `listening on HOST:PORT` once it accepts connections, and serves
until its stdin closes (so it never outlives the test that started it).

Routes (query `size` = body bytes, default 1000):
  /http10        HTTP/1.0, no Content-Length, body ends when the server closes
  /keepalive     HTTP/1.1 with Content-Length, connection kept alive
  /split         head, a pause, then the body in uneven writes with pauses
  /chunked       Transfer-Encoding: chunked, chunks of uneven sizes
  /trickle       the body a few bytes at a time (`delay_ms` between writes)
  /stall         head and part of the body, then nothing for 60 s
  /redirect      `n` redirects (302) to itself, then to `to` (default /keepalive)
  /echo[/…]      any method: the request line, headers and body, as JSON
  /files/NAME    the bytes of DIR/NAME (`--files`), with Content-Length;
                 404 while there is no such file (a test writes and removes
                 files there to change what is served)
  /status        an empty answer with status `code` (default 500)
  /loop          a redirect (302) to itself, forever
Any route but /echo also answers POST, PUT, PATCH and DELETE, after reading
the request body as Content-Length gives it (`X-Received-Length` says how
much arrived).
  /hits          how many requests the server has handled, as text
  /requests      the method and path of each of them, as a JSON list
                 (neither counts the questions to /hits, /requests and
                 /recorded themselves)
  /recorded      every /echo request so far (the same JSON objects, a list),
                 so a test can see what arrived even when the answer it got
                 back through skillhost was redacted
"""
import argparse
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HITS = 0
HITS_LOCK = threading.Lock()
RECORDED = []
REQUESTS = []  # "METHOD PATH" of every request, in order
FILES = None  # the --files directory


def pattern(size):
    """`size` bytes of a repeating, position-dependent text (a-z, newline every 64)."""
    line = bytes(range(ord("a"), ord("z") + 1)) * 3
    line = line[:63] + b"\n"
    whole, rest = divmod(size, 64)
    return line * whole + line[:rest]


class Handler(BaseHTTPRequestHandler):
    server_version = "upstream-test/1"

    def log_message(self, format, *args):  # noqa: A002 - http.server's name
        pass

    def _count(self):
        global HITS
        # The test asking what arrived is not traffic.
        if self._query()[0] in ("/hits", "/requests", "/recorded"):
            return
        with HITS_LOCK:
            HITS += 1
            REQUESTS.append("%s %s" % (self.command, self.path))

    def _query(self):
        parsed = urllib.parse.urlsplit(self.path)
        return parsed.path, dict(urllib.parse.parse_qsl(parsed.query))

    def _int(self, query, name, default):
        try:
            return int(query.get(name, default))
        except ValueError:
            return default

    def do_GET(self):
        self._count()
        self._answer()

    def do_POST(self):
        self._count()
        path, _ = self._query()
        if path.strip("/").split("/")[0] == "echo":
            self.route_echo({}, b"")
            return
        # As most handlers written on http.server do: the request body is
        # what Content-Length says. A chunked upload is not understood; its
        # bytes stay unread, and closing over unread bytes resets the
        # connection under the response.
        length = int(self.headers.get("Content-Length") or 0)
        self.received = len(self.rfile.read(length)) if length else 0
        self._answer()

    def _answer(self):
        path, query = self._query()
        size = self._int(query, "size", 1000)
        body = pattern(size)
        route = getattr(self, "route_" + path.strip("/").split("/")[0].replace("-", "_"), None)
        if route is None:
            self.send_error(404, "no such route")
            return
        route(query, body)

    do_PUT = do_POST
    do_DELETE = do_POST
    do_PATCH = do_POST

    def send_response(self, code, message=None):
        super().send_response(code, message)
        self.send_header("X-Received-Length", str(getattr(self, "received", 0)))

    def route_http10(self, query, body):
        # BaseHTTPRequestHandler answers in the protocol_version of the
        # handler; HTTP/1.0 without a length means "read until close".
        self.protocol_version = "HTTP/1.0"
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body)

    def route_keepalive(self, query, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route_split(self, query, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        time.sleep(0.005)
        step, offset = 1, 0
        while offset < len(body):
            piece = body[offset : offset + step * 7919]
            self.wfile.write(piece)
            self.wfile.flush()
            offset += len(piece)
            step = step * 3 % 97 + 1
            if step % 5 == 0:
                time.sleep(0.001)

    def route_chunked(self, query, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        offset, step = 0, 1
        while offset < len(body):
            piece = body[offset : offset + step * 4099]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
            offset += len(piece)
            step = step * 7 % 31 + 1
        self.wfile.write(b"0\r\n\r\n")

    def route_trickle(self, query, body):
        delay = self._int(query, "delay_ms", 20) / 1000
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for offset in range(0, len(body), 16):
            self.wfile.write(body[offset : offset + 16])
            self.wfile.flush()
            time.sleep(delay)

    def route_stall(self, query, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        time.sleep(60)
        self.close_connection = True

    def route_redirect(self, query, body):
        n = self._int(query, "n", 1)
        target = query.get("to", "/keepalive?size=%d" % len(body))
        if n > 1:
            rest = dict(query, n=str(n - 1))
            target = "/redirect?" + urllib.parse.urlencode(rest)
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_files(self, query, body):
        name = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)[len("/files/"):]
        path = os.path.realpath(os.path.join(FILES or "/nonexistent", name))
        data = None
        if FILES and path.startswith(os.path.realpath(FILES) + os.sep):
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except (FileNotFoundError, IsADirectoryError):
                pass
        if data is None:
            self.send_error(404, "no such file")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route_status(self, query, body):
        self.send_response(self._int(query, "code", 500))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_loop(self, query, body):
        self.send_response(302)
        self.send_header("Location", self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_echo(self, query, body):
        length = int(self.headers.get("Content-Length") or 0)
        received = self.rfile.read(length) if length else b""
        request = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": received.decode("utf-8", "replace"),
        }
        with HITS_LOCK:
            RECORDED.append(request)
        reply = json.dumps(request).encode()
        # `?status=404`: the same echo as an error, as APIs that repeat the
        # URL they could not serve.
        self.send_response(self._int(query, "status", 200))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def route_recorded(self, query, body):
        with HITS_LOCK:
            reply = json.dumps(RECORDED).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def route_requests(self, query, body):
        with HITS_LOCK:
            reply = json.dumps(REQUESTS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def route_hits(self, query, body):
        with HITS_LOCK:
            text = str(HITS).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # Concurrency tests open many connections at once; the default backlog
    # of 5 would turn a burst into refused connections.
    request_queue_size = 256

    def handle_error(self, request, client_address):
        # A client that hangs up mid-body (a size limit cutting a download
        # short) is expected here, not a failure worth a traceback.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--files", default=None)
    args = parser.parse_args()
    global FILES
    FILES = args.files
    Handler.protocol_version = "HTTP/1.1"
    # An IPv6 literal (`::1`) needs an IPv6 socket, and brackets where
    # the port follows it.
    if ":" in args.host:
        Server.address_family = socket.AF_INET6
    server = Server((args.host, args.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    if ":" in host:
        host = "[%s]" % host
    print("listening on %s:%d" % (host, port), flush=True)
    # Serve until the test that started us goes away.
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
