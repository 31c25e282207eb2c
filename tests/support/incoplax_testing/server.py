# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one loopback HTTP server of the tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
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
