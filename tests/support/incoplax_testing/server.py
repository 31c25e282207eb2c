# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one loopback HTTP server of the tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import struct
import threading

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LocalServer:
    """A loopback HTTP server in a thread; ``answer(request)`` gives (status, headers, body), every request is kept."""

    def __init__(self, answer, host='127.0.0.1'):
        self.answer = answer
        self.requests = []
        lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

            def _serve(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                request = {'method': self.command, 'path': self.path, 'headers': dict(self.headers), 'body': body}
                with lock:
                    server.requests.append(request)
                status, headers, payload = server.answer(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header('Content-Length', str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PUT = _serve

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.url = 'http://%s:%d' % (host, self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class ScriptedServer(LocalServer):
    """A ``LocalServer`` whose answer is a queue the test fills with ``add()``; then ``default`` (an empty list)."""

    def __init__(self, host='127.0.0.1'):
        self.responses = []
        self.default = (200, {}, b'[]')
        self._queue_lock = threading.Lock()
        super().__init__(self._next, host)

    def add(self, status=200, body=b'', headers=None, json_body=None):
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = dict(headers or {}, **{'Content-Type': 'application/json; charset=utf-8'})
        self.responses.append((status, headers or {}, body))

    def _next(self, request):  # pylint: disable=unused-argument
        with self._queue_lock:
            if self.responses:
                return self.responses.pop(0)
            return self.default


class ResettingServer:
    """Reads each request whole, then resets the connection without an answer (an RST): a change lost after sending.

    With a ``listing`` (a list of session entries), GETs are answered with it and only the writes are reset.
    ``requests`` keeps the method of every request read.
    """

    def __init__(self, listing=None):
        self.body = None if listing is None else json.dumps(listing).encode()
        self.requests = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.url = 'http://127.0.0.1:%d' % self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn):
        with conn:
            data = b''
            while True:
                while b'\r\n\r\n' not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _sep, data = data.partition(b'\r\n\r\n')
                method = head.split(b' ', 1)[0].decode()
                fields = dict(line.split(b':', 1) for line in head.split(b'\r\n')[1:] if b':' in line)
                length = int({name.strip().lower(): value for name, value in fields.items()}.get(b'content-length', b'0') or 0)
                while len(data) < length:
                    data += conn.recv(65536)
                data = data[length:]
                self.requests.append(method)
                if method != 'GET' or self.body is None:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                    return
                conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s'
                             % (len(self.body), self.body))

    def stop(self):
        self.sock.close()
