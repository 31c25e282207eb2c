# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP plumbing: request parsing, routing of the vendor and control paths, fault timing, TLS."""

import http.server
import json
import socket
import ssl
import struct
import sys
import time
import traceback
import urllib.parse

from .emulator import Response, error_response, json_response
from .store import DataError

BASE_PATH = '/rest/v1/master/logicalroles/ws/sessions'
CONTROL_PREFIX = '/_emulator/'
MAX_BODY = 64 * 1024 * 1024
LOGGED_BODY_CHARS = 4096


class BadRequest(Exception):
    """A request whose framing is broken; answered with ``status`` and the connection closed."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _decode_json(body, what):
    """Decode a JSON request body or return ``(None, 400 response)``."""
    try:
        return json.loads(body.decode('utf-8')), None
    except ValueError:
        return None, error_response(400, '%s must be JSON' % what)


def _loggable(body):
    """The request body as kept in the request log: JSON value, short text, or None when empty."""
    if not body:
        return None
    try:
        return json.loads(body.decode('utf-8'))
    except ValueError:
        return body[:LOGGED_BODY_CHARS].decode('utf-8', 'replace')


def _sites_text(query):
    """The raw ``sites`` query value, None when omitted; repeating it is an error."""
    values = urllib.parse.parse_qs(query, keep_blank_values=True).get('sites')
    if values is None:
        return None
    if len(values) > 1:
        raise DataError('sites: give the parameter at most once')
    return values[0]


class Handler(http.server.BaseHTTPRequestHandler):
    """One connection: HTTP/1.1 keep-alive, every answer with an explicit length."""

    protocol_version = 'HTTP/1.1'
    server_version = 'incoplax-emulator/1.0'
    sys_version = ''
    # Idle keep-alive connections give up their thread after this many seconds.
    timeout = 120
    # Headers and body leave in one segment; with Nagle on, a split answer waits for the client's delayed ACK.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True

    def do_GET(self):
        """Answer any method through one dispatcher."""
        self._dispatch()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = do_TRACE = do_CONNECT = do_GET

    def version_string(self):
        """The Server header, without the Python version."""
        return self.server_version

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet unless --verbose; the request line holds no credentials, headers are never logged."""
        if self.server.verbose:
            super().log_message(format, *args)

    def send_error(self, code, message=None, explain=None):
        """Framing errors found by the base class (bad request line, ...) also get a JSON body."""
        self.close_connection = True
        self._send(error_response(code, message or self.responses.get(code, ('error',))[0]))

    def _dispatch(self):
        path, _sep, query = self.path.partition('?')
        try:
            body = self._read_body()
        except BadRequest as exc:
            self.close_connection = True
            self._send(error_response(exc.status, str(exc)))
            return
        try:
            if path == BASE_PATH or path.startswith(BASE_PATH + '/'):
                self._vendor(path, query, body)
            elif path.startswith(CONTROL_PREFIX):
                self._send(self._control(path[len(CONTROL_PREFIX):], query, body))
            else:
                self._send(error_response(404, 'unknown path'))
        except OSError:
            # The client went away (for example after its own timeout during hang_ms); nothing to answer.
            self.close_connection = True
        except Exception:  # pylint: disable=broad-except
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            self._send(error_response(500, 'internal emulator error'))

    def _read_body(self):
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            return self._read_chunked()
        length = self.headers.get('Content-Length')
        if length is None:
            return b''
        try:
            length = int(length)
        except ValueError:
            raise BadRequest(400, 'invalid Content-Length') from None
        if length < 0 or length > MAX_BODY:
            raise BadRequest(413 if length > 0 else 400, 'invalid or too large Content-Length')
        return self.rfile.read(length)

    def _read_chunked(self):
        parts, size = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                chunk = int(line.split(b';')[0].strip(), 16)
            except ValueError:
                raise BadRequest(400, 'invalid chunked body') from None
            if chunk == 0:
                while self.rfile.readline(1024) not in (b'\r\n', b'\n', b''):
                    pass
                return b''.join(parts)
            size += chunk
            if size > MAX_BODY:
                raise BadRequest(413, 'body too large')
            parts.append(self.rfile.read(chunk))
            self.rfile.readline(1024)

    def _send(self, response):
        self.send_response(response.status)
        if response.content_type:
            self.send_header('Content-Type', response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        # A 204 must not carry Content-Length (RFC 9110); every other answer has one for keep-alive.
        if response.status != 204:
            self.send_header('Content-Length', str(len(response.body)))
        if self.close_connection:
            self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD' and response.body:
            self.wfile.write(response.body)
        self.wfile.flush()

    def _reset_connection(self):
        """Drop the connection without an answer; linger 0 makes the close an RST, like a reset."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _vendor(self, path, query, body):
        """One vendor request, counted in flight from admission until its answer is sent (or the reset).

        Its busy time is that wall time minus the injected latency_ms/hang_ms sleep.
        """
        emulator = self.server.emulator
        started = time.perf_counter()
        slept = 0.0
        emulator.begin_request()
        try:
            delay, fault = emulator.admit()
            if delay:
                asleep = time.perf_counter()
                time.sleep(delay)
                slept = time.perf_counter() - asleep
            if fault == 'reset':
                emulator.record(self.command, path, query, _loggable(body), None)
                self._reset_connection()
                return
            response = fault or self._vendor_answer(path, query, body)
            emulator.record(self.command, path, query, _loggable(body), response.status)
            self._send(response)
        finally:
            emulator.end_request(time.perf_counter() - started - slept)

    def _vendor_answer(self, path, query, body):
        emulator = self.server.emulator
        identity, denied = emulator.identify(self.headers.get('Authorization'))
        if denied:
            return denied
        if path == BASE_PATH:
            allowed, segment = ('GET', 'POST'), None
        else:
            allowed, segment = ('DELETE',), path[len(BASE_PATH) + 1:]
            if not segment or '/' in segment:
                return error_response(404, 'unknown path')
        if self.command not in allowed:
            return error_response(405, 'method not allowed', [('Allow', ', '.join(allowed))])
        if self.command == 'POST':
            data, bad = _decode_json(body, 'the body')
            return bad or emulator.logout(identity, data)
        try:
            sites = _sites_text(query)
        except DataError as exc:
            return error_response(400, str(exc))
        if self.command == 'GET':
            return emulator.list_sessions(sites)
        # The id is one path segment: %2F inside it is a "/" of the id, so unquote only after splitting.
        return emulator.close_session(urllib.parse.unquote(segment), sites)

    def _control(self, name, query, body):
        emulator = self.server.emulator
        routes = {'state': ('GET',), 'reset': ('POST',), 'load': ('POST',), 'faults': ('GET', 'POST')}
        if name not in routes:
            return error_response(404, 'unknown control path')
        if self.command not in routes[name]:
            return error_response(405, 'method not allowed', [('Allow', ', '.join(routes[name]))])
        if name == 'state':
            flag = urllib.parse.parse_qs(query).get('sessions', ['true'])[-1].lower()
            return Response(200, emulator.state(include_sessions=flag not in ('false', '0', 'no')))
        if name == 'reset':
            emulator.reset()
            return json_response(200, {'status': 'reset'})
        if name == 'faults' and self.command == 'GET':
            return json_response(200, emulator.get_faults())
        data, bad = _decode_json(body or b'{}', 'the body') if name == 'faults' else _decode_json(body, 'the fixture')
        if bad:
            return bad
        try:
            if name == 'faults':
                return json_response(200, emulator.set_faults(data))
            return json_response(200, {'status': 'loaded', 'sessions': emulator.load(data)})
        except DataError as exc:
            return error_response(400, str(exc))


class Server(http.server.ThreadingHTTPServer):
    """Threaded server (daemon threads never joined, deep accept queue) with the TLS handshake done per thread."""

    daemon_threads = True
    # server_close() never waits for handler threads: shutdown must not hang on an idle keep-alive connection
    # or a request sleeping in latency_ms/hang_ms.
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address, emulator, ssl_context=None, verbose=False):
        if ':' in address[0]:
            self.address_family = socket.AF_INET6
        self.emulator = emulator
        self.ssl_context = ssl_context
        self.verbose = verbose
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        """Wrap the socket in TLS here, in the worker thread, so a slow handshake never blocks accept()."""
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(Handler.timeout)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ValueError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            self.shutdown_request(tls)

    def handle_error(self, request, client_address):
        """Connection-level noise (resets, TLS aborts, timeouts) is only shown with --verbose."""
        if self.verbose or not isinstance(sys.exc_info()[1], (OSError, ValueError)):
            super().handle_error(request, client_address)

    @property
    def url(self):
        """The base URL clients use."""
        host, port = self.server_address[:2]
        host = '[%s]' % host if ':' in host else host
        return '%s://%s:%d' % ('https' if self.ssl_context else 'http', host, port)


def make_server(emulator, host='127.0.0.1', port=8443, tls_cert=None, tls_key=None, verbose=False):
    """Bind a server for ``emulator``; TLS when a certificate is given."""
    context = None
    if tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls_cert, tls_key)
    return Server((host, port), emulator, context, verbose)
