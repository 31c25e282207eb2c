# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the emulator tests: the one emulator driver of the test-support package, plus vendor helpers.

INCOPLAX_EMULATOR_PYTHON picks the interpreter that runs the emulator (default: the one running pytest),
so the same tests check the emulator under each supported Python.
"""

import functools
import json
import signal
import time

import requests

from incoplax_testing import cast, emulator  # pylint: disable=import-error

VENDOR_PATH = cast.SESSIONS_PATH
TOKEN = 'emulator-token'
# Generous safety limits for waiting on the emulator (exit, requests to finish); never speed assertions.
STOP_TIMEOUT = 30
IDLE_TIMEOUT = 30


class Emulator(emulator.Emulator):
    """One emulator process (``incoplax_testing.emulator.Emulator``) and helpers to talk to it with requests.

    conftest.py makes it the ``emulator_class`` of the shared fixtures ``emulator`` and ``start_emulator``.
    """

    def __init__(self, args=(), log_dir=None, **kwargs):
        super().__init__(args, log_dir=log_dir, **kwargs)
        self.vendor = self.url + VENDOR_PATH
        self.http = requests.Session()
        self.http.headers['Authorization'] = 'Bearer ' + TOKEN
        self.verify = True

    def stop(self, signum=signal.SIGTERM, timeout=STOP_TIMEOUT):  # pylint: disable=arguments-differ
        """Send ``signum`` (SIGTERM), then kill if it does not exit; returns the exit code (-9 when killed)."""
        return super().stop(signum, timeout)

    # vendor helpers

    def get(self, sites=None, **kwargs):
        """GET the session list; ``sites`` is a Python value sent as JSON, or raw text when a str starting with '!'."""
        params = {}
        if sites is not None:
            params['sites'] = sites[1:] if isinstance(sites, str) and sites.startswith('!') else json.dumps(sites)
        kwargs.setdefault('timeout', 10)
        return self.http.get(self.vendor, params=params, verify=self.verify, **kwargs)

    def sessions(self, sites=None):
        """The decoded session list (asserts a 200)."""
        response = self.get(sites)
        assert response.status_code == 200, response.text
        return response.json()

    def logout(self, body, **kwargs):
        """POST a logout body (dict sent as JSON, bytes/str sent raw)."""
        kwargs.setdefault('timeout', 10)
        if isinstance(body, (bytes, str)):
            return self.http.post(self.vendor, data=body, verify=self.verify, **kwargs)
        return self.http.post(self.vendor, json=body, verify=self.verify, **kwargs)

    def delete(self, quoted_id, sites=None, **kwargs):
        """DELETE one session; ``quoted_id`` goes into the path as given (already URL-quoted)."""
        params = {} if sites is None else {'sites': json.dumps(sites)}
        kwargs.setdefault('timeout', 10)
        return self.http.delete(self.vendor + '/' + quoted_id, params=params, verify=self.verify, **kwargs)

    # control helpers

    def control(self, method, name, body=None, **kwargs):
        """Call the control interface without credentials."""
        response = requests.request(method, self.url + '/_emulator/' + name, json=body, timeout=10, verify=self.verify, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def state(self, sessions=True):  # pylint: disable=arguments-differ
        """GET /_emulator/state."""
        return self.control('GET', 'state', params=None if sessions else {'sessions': 'false'})

    def reset(self):
        """POST /_emulator/reset."""
        return self.control('POST', 'reset')

    def load(self, fixture):
        """POST /_emulator/load."""
        return self.control('POST', 'load', fixture)

    def faults(self, spec):  # pylint: disable=arguments-differ
        """POST /_emulator/faults."""
        return self.control('POST', 'faults', spec)

    def counters(self):
        """The counters of the state document."""
        return self.state(sessions=False)['counters']

    def wait_in_flight(self, wanted):
        """Poll the counters until ``in_flight == wanted`` and return them.

        A request's in-flight time ends just after its answer is written, so right after a client has its
        answer the counter may still include it; a request sleeping in hang_ms stays in flight after the
        client gave up. IDLE_TIMEOUT is only a safety net against hanging forever.
        """
        deadline = time.monotonic() + IDLE_TIMEOUT
        while True:
            counters = self.counters()
            if counters['in_flight'] == wanted or time.monotonic() > deadline:
                assert counters['in_flight'] == wanted, counters
                return counters
            time.sleep(0.02)


# The entries of the emulator tests live 600 s.
_session = functools.partial(cast.entry, ttl=600)


def _live(session_id):
    return [{'conn_id': 'c-' + session_id, 'is_pid_alive': True, 'node': 'ws1@192.168.0.32', 'pid': '<0.1.0>'}]


# Small known data set: admin's own session own-0001 (http + websocket) on central and adm-east;
# alice: s-a1 (http + websocket, central), s-a2 (east); bob: s-b1 (west), bob/with/slash (central);
# another alice in other.domain: s-x1 (central).
SAMPLE = {
    'current_site': 'central',
    'sites': ['central', 'east', 'west'],
    'sessions': [
        _session('own-0001', 'admin', user_id='u-admin'),
        _session('own-0001', 'admin', 'central', 'websocket', user_id='u-admin', connections=_live('own-0001')),
        _session('adm-east', 'admin', 'east', user_id='u-admin'),
        _session('s-a1', 'alice', user_id='u-alice'),
        _session('s-a1', 'alice', 'central', 'websocket', user_id='u-alice', connections=_live('s-a1')),
        _session('s-a2', 'alice', 'east', user_id='u-alice'),
        _session('s-b1', 'bob', 'west', user_id='u-bob'),
        _session('bob/with/slash', 'bob', user_id='u-bob'),
        _session('s-x1', 'alice', user_id='u-alice-other', domain='other.domain'),
    ],
}


def ids(entries):
    """Sorted (session_id, session_type) pairs of a session list."""
    return sorted((entry['session_id'], entry['session_type']) for entry in entries)
