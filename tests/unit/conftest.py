# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit test fixtures: a scripted HTTP server on loopback and a module runner.

The scripted server answers from a queue the test fills, and records what it received, so the client's
real HTTP behaviour (encoding, retries, headers) is tested without the emulator.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import threading

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible.module_utils import basic


class ScriptedServer:
    """Answers requests with the next scripted response; the last one repeats."""

    def __init__(self):
        self.responses = []
        self.requests = []
        self.default = (200, {}, b'[]')
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), self._handler())
        self.url = 'http://127.0.0.1:%d' % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def add(self, status=200, body=b'', headers=None, json_body=None):
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers = dict(headers or {}, **{'Content-Type': 'application/json; charset=utf-8'})
        self.responses.append((status, headers or {}, body))

    def _next(self):
        with self._lock:
            if self.responses:
                return self.responses.pop(0)
            return self.default

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

            def _serve(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                server.requests.append({'method': self.command, 'path': self.path,
                                        'headers': dict(self.headers), 'body': body})
                status, headers, payload = server._next()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header('Content-Length', str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _serve

        return Handler

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.stop()


@contextlib.contextmanager
def module_args(args):
    """Module arguments for AnsibleModule, on every ansible-core version we support."""
    try:
        from ansible.module_utils.testing import patch_module_args  # pylint: disable=import-outside-toplevel
    except ImportError:  # ansible-core < 2.19
        from unittest import mock  # pylint: disable=import-outside-toplevel
        with mock.patch.object(basic, '_ANSIBLE_ARGS', json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode()):
            yield
    else:
        with patch_module_args(args):
            yield


@pytest.fixture
def run_module(capsys):
    """Run a module's main() with args; return (exit_code, result dict)."""

    def run(main, args):
        with module_args(args):
            with pytest.raises(SystemExit) as exit_info:
                main()
        out = capsys.readouterr().out
        return exit_info.value.code, json.loads(out)

    return run
