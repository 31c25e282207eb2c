# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator's state and operations, independent of HTTP plumbing.

One lock guards the store, the faults, the credentials, the counters and the request log.
Every method that touches them takes it; none sleeps while holding it.
"""

import collections
import dataclasses
import json
import threading
import time

from .auth import CHALLENGES, Credentials
from .faults import Faults, UNAVAILABLE_HTML
from .store import MISSING, DataError, SitesError, Store, fixture_dataset, parse_sites, parse_sites_text

JSON_TYPE = 'application/json; charset=utf-8'
HTML_TYPE = 'text/html; charset=utf-8'
LOG_SIZE = 1000
LOGOUT_STATUS = {'status': 'logged out all sessions but current'}
GARBAGE_HTML = '<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Sign in</h1><form></form></body></html>'


@dataclasses.dataclass
class Response:
    """What to send: status, body bytes, content type (None: no body headers) and extra headers."""

    status: int
    body: bytes = b''
    content_type: str = JSON_TYPE
    headers: tuple = ()


def json_response(status, data, headers=()):
    """A JSON response from a Python value."""
    return Response(status, json.dumps(data).encode('utf-8'), JSON_TYPE, tuple(headers))


def error_response(status, message, headers=()):
    """A JSON error body ``{"error": message}``."""
    return json_response(status, {'error': message}, headers)


@dataclasses.dataclass
class StartupConfig:
    """How to (re)build the start-up state: a data set factory, the command-line secrets and defaults."""

    make_dataset: object
    token: str = 'emulator-token'
    username: str = 'admin'
    password: str = 'admin-password'
    seed: int = 1
    ttl: int = 3600
    caller_session_id: str = None
    faults: dict = None


def _zero_counters(in_flight=0):
    # in_flight is live (kept apart in Emulator._in_flight); max_in_flight restarts from the requests still in flight.
    return {'GET': 0, 'POST': 0, 'DELETE': 0, 'total': 0, 'by_status': {}, 'connection_resets': 0,
            'max_in_flight': in_flight, 'busy_seconds': 0.0}


class Emulator:
    """The whole mutable state of one emulator and the vendor and control operations on it."""

    def __init__(self, config, clock=time.monotonic):
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self.store = None
        self.faults = None
        self.credentials = None
        self.caller = None
        self.counters = None
        self.requests = None
        self._in_flight = 0
        self._install(self._prepare(config.make_dataset()), Faults(config.faults, config.seed))

    def _prepare(self, dataset):
        """Build the store and credentials of a data set; slow for big sets, so done without the lock.

        Credentials are the fixture's if it has them, else the command-line secrets mapped to its caller.
        """
        if dataset.credentials is not None:
            credentials = Credentials.from_fixture(dataset.credentials)
        else:
            credentials = Credentials.from_cli(self._config.token, self._config.username, self._config.password, dataset.caller)
        return Store(dataset, self._clock(), self._config.seed), credentials, dataset.caller

    def _install(self, prepared, faults):
        """Replace data, credentials and counters (lock held, or during construction)."""
        self.store, self.credentials, self.caller = prepared
        if faults is not None:
            self.faults = faults
        self.counters = _zero_counters(self._in_flight)
        self.requests = collections.deque(maxlen=LOG_SIZE)

    # control interface

    def reset(self):
        """Restore the start-up data set; zero counters and the log; clear every fault."""
        prepared = self._prepare(self._config.make_dataset())
        with self._lock:
            self._install(prepared, Faults(seed=self._config.seed))

    def load(self, data):
        """Replace the data set (and credentials if the fixture has them); zero counters and the log."""
        dataset = fixture_dataset(data, self._config.ttl, self._config.seed, caller_session_id=self._config.caller_session_id)
        prepared = self._prepare(dataset)
        with self._lock:
            self._install(prepared, None)
        return len(dataset.sessions)

    def set_faults(self, spec):
        """Replace the active faults."""
        faults = Faults(spec, self._config.seed)
        with self._lock:
            self.faults = faults
            return faults.as_dict()

    def get_faults(self):
        """The active faults."""
        with self._lock:
            return self.faults.as_dict()

    def state(self, include_sessions=True):
        """The state document as JSON text; session entries are pasted in pre-rendered."""
        with self._lock:
            now = self._clock()
            self.store.refresh(now)
            summary = {
                'current_site': self.store.current_site, 'sites': self.store.sites,
                'session_count': len(self.store), 'caller_session_id': self.caller['session_id'],
                'identities': self.credentials.identities(), 'faults': self.faults.as_dict(),
                'counters': self._counters_snapshot(), 'requests': list(self.requests),
            }
            text = json.dumps(summary)
            if include_sessions:
                text = '%s, "sessions": %s}' % (text[:-1], self.store.render(None, now))
        return text.encode('utf-8')

    def _counters_snapshot(self):
        """The counters as shown by the state document (lock held)."""
        counters = dict(self.counters, in_flight=self._in_flight)
        counters['busy_seconds'] = round(counters['busy_seconds'], 6)
        return counters

    def begin_request(self):
        """A vendor request is now in flight."""
        with self._lock:
            self._in_flight += 1
            if self._in_flight > self.counters['max_in_flight']:
                self.counters['max_in_flight'] = self._in_flight

    def end_request(self, busy_seconds):
        """A vendor request is done; ``busy_seconds``: its wall time without injected sleeps."""
        with self._lock:
            self._in_flight -= 1
            self.counters['busy_seconds'] += max(busy_seconds, 0.0)

    def record(self, method, path, query, body, status):
        """Count one vendor request and log it (status None: connection reset without an answer)."""
        with self._lock:
            counters = self.counters
            counters[method] = counters.get(method, 0) + 1
            counters['total'] += 1
            if status is None:
                counters['connection_resets'] += 1
            else:
                by_status = counters['by_status']
                by_status[str(status)] = by_status.get(str(status), 0) + 1
            self.requests.append({'method': method, 'path': path, 'query': query, 'body': body, 'status': status})

    # vendor interface

    def admit(self):
        """Fault decision for one vendor request: ``(delay_seconds, Response or 'reset' or None)``."""
        with self._lock:
            delay, action = self.faults.admit()
            retry_after = self.faults.retry_after
        if action == 'unavailable':
            return delay, Response(503, UNAVAILABLE_HTML.encode('utf-8'), HTML_TYPE)
        if action == 'rate_limited':
            return delay, error_response(429, 'too many requests', (('Retry-After', str(retry_after)),))
        if action == 'error':
            return delay, error_response(500, 'injected')
        return delay, action

    def identify(self, header):
        """The caller identity for an ``Authorization`` header, or a 401 response."""
        with self._lock:
            identity, reason = self.credentials.identify(header)
        if identity is None:
            return None, error_response(401, reason, [('WWW-Authenticate', challenge) for challenge in CHALLENGES])
        return identity, None

    def list_sessions(self, sites_text):
        """GET: the entries in the ``sites`` scope."""
        with self._lock:
            garbage = self.faults.garbage
            now = self._clock()
            self.store.refresh(now)
            if garbage == 'html':
                return Response(200, GARBAGE_HTML.encode('utf-8'), HTML_TYPE)
            if garbage == 'empty':
                return Response(200, b'', JSON_TYPE)
            try:
                scope = self._scope(parse_sites_text, sites_text)
            except SitesError as exc:
                return error_response(400, str(exc))
            if garbage == 'missing_fields':
                entries = [entry.to_dict(now) for entry in self.store.in_scope(scope)]
                return json_response(200, [{key: value for key, value in entry.items() if key not in ('session_id', 'login')} for entry in entries])
            text = self.store.render(scope, now)
        if garbage == 'object':
            text = '{"sessions": %s}' % text
        return Response(200, text.encode('utf-8'))

    def logout(self, identity, body):
        """POST: close every session of a user in a domain except the caller's own."""
        if not isinstance(body, dict):
            return error_response(400, 'the body must be a JSON object')
        if body.get('action') != 'logout':
            return error_response(400, 'action must be "logout"')
        for name in ('domain', 'user'):
            if not isinstance(body.get(name), str) or not body[name]:
                return error_response(400, '%s must be a non-empty string' % name)
        with self._lock:
            try:
                scope = self._scope(parse_sites, body.get('sites', MISSING))
            except SitesError as exc:
                return error_response(400, str(exc))
            if self.faults.fails_user(body['user']):
                return error_response(500, 'injected failure for user %s' % body['user'])
            now = self._clock()
            self.store.refresh(now)
            removed = self.store.remove_user(body['domain'], body['user'], scope, identity['session_id'],
                                             now, self.faults.close_delay)
            self._schedule_relogins(removed, now)
        return json_response(200, LOGOUT_STATUS)

    def close_session(self, session_id, sites_text):
        """DELETE: close every entry with ``session_id`` in the ``sites`` scope."""
        with self._lock:
            try:
                scope = self._scope(parse_sites_text, sites_text)
            except SitesError as exc:
                return error_response(400, str(exc))
            if self.faults.fails_session(session_id):
                return error_response(500, 'injected failure for session %s' % session_id)
            if self.faults.stale(session_id):
                return error_response(404, 'session not found: %s' % session_id)
            now = self._clock()
            self.store.refresh(now)
            removed = self.store.remove_id(session_id, scope, now, self.faults.close_delay)
            self._schedule_relogins(removed, now)
        if not removed or self.faults.ghost(session_id):
            return error_response(404, 'session not found: %s' % session_id)
        return Response(204, b'', None)

    def _scope(self, parse, value):
        """The request's scope; every site when the ``ignore_sites`` fault plays a platform that drops the parameter."""
        scope = parse(value, self.store.current_site)
        return None if self.faults.ignore_sites else scope

    def _schedule_relogins(self, removed, now):
        """One re-login per user per logout event, on the site of the user's first closed entry."""
        seen = set()
        for entry in removed:
            key = (entry.domain, entry.user_id)
            if key in seen:
                continue
            seen.add(key)
            delay = self.faults.relogin_delay(entry)
            if delay is not None:
                self.store.schedule_relogin(entry, now + delay)


def load_fixture_file(path):
    """Read a fixture file as JSON, raising ``DataError`` with a readable message."""
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError) as exc:
        raise DataError('cannot read fixture %s: %s' % (path, exc)) from None
