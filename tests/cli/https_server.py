"""A small HTTPS server on loopback for the publish tests.

usage: https_server.py CERT KEY PORTFILE LOGDIR
Paths: /ok -> 201 and the body saved; /flaky -> 503 once, then 200;
/deny -> 401; /redirect -> 302 to /ok; /huge -> 200 with a 2 MiB body; /echo -> 400 whose reason and body
repeat the Authorization header (a server that leaks the token back).
With --plain the server speaks plain HTTP. Every request is logged.
"""
import http.server
import json
import os
import ssl
import sys

plain = "--plain" in sys.argv
cert, key, portfile, logdir = [a for a in sys.argv[1:] if a != "--plain"][:4]
seen = {}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(os.path.join(logdir, "requests.jsonl"), "a") as f:
            f.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization"),
                                "type": self.headers.get("Content-Type"),
                                "bytes": len(body)}) + "\n")
        seen[self.path] = seen.get(self.path, 0) + 1
        if self.path == "/ok" or (self.path == "/flaky" and seen[self.path] > 1):
            with open(os.path.join(logdir, "body.json"), "wb") as f:
                f.write(body)
            self.answer(201, "Created")
        elif self.path == "/flaky":
            self.answer(503, "Service Unavailable")
        elif self.path == "/huge":
            self.answer(200, "OK", "x" * (2 << 20))
        elif self.path == "/deny":
            self.answer(401, "Unauthorized", "bad token")
        elif self.path == "/echo":
            auth = self.headers.get("Authorization") or ""
            self.answer(400, "Bad " + auth, "you sent: " + auth + "\n\x1b[31m" + auth[:12])
        elif self.path == "/redirect":
            self.send_response(302, "Found")
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.answer(404, "Not Found")

    def answer(self, code, reason, text=""):
        data = text.encode()
        self.send_response(code, reason)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
if not plain:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
