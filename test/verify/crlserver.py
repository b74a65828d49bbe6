#!/usr/bin/env python3
"""crlserver.py ROOT PORTFILE LOG - loopback HTTP server for crlfetch.sh.

Serves ROOT/NAME for GET /NAME (404 when absent); /slow* waits 30 s
before answering; /big* sends 2 MiB.  Each request is logged to LOG as
"PATH HOST".  Binds 127.0.0.1 on a port the kernel picks and writes it
to PORTFILE; exits after 10 minutes at the latest.
"""
import http.server
import os
import sys
import threading
import time

root, portfile, log = sys.argv[1:4]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        with open(log, "a") as f:
            f.write("%s %s\n" % (self.path, self.headers.get("Host", "-")))
        try:
            if self.path.startswith("/slow"):
                time.sleep(30)
            if self.path.startswith("/big"):
                size = 2 << 20
                self.send_response(200)
                self.send_header("Content-Type", "application/pkix-crl")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                self.wfile.write(b"0" * size)
                return
            path = os.path.join(root, os.path.basename(self.path))
            if not os.path.isfile(path):
                self.send_error(404)
                return
            with open(path, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/pkix-crl")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
threading.Timer(600, server.shutdown).start()
server.serve_forever()
