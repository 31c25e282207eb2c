# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the emulator tests: run the emulator as a real subprocess and talk to it.

INCOPLAX_EMULATOR_PYTHON picks the interpreter that runs the emulator (default: the one running pytest),
so the same tests check the emulator under each supported Python.
"""

import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests

EMULATOR_DIR = pathlib.Path(__file__).resolve().parents[2] / 'extensions' / 'emulator'

VENDOR_PATH = '/rest/v1/master/logicalroles/ws/sessions'
TOKEN = 'emulator-token'
START_TIMEOUT = 30
# Generous safety limits for waiting on the emulator (exit, requests to finish); never speed assertions.
STOP_TIMEOUT = 30
IDLE_TIMEOUT = 30


class Emulator:
    """One emulator process and helpers to talk to it."""

    def __init__(self, *args):
        self.stderr = tempfile.TemporaryFile()
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(EMULATOR_DIR), env.get('PYTHONPATH')]))
        python = os.environ.get('INCOPLAX_EMULATOR_PYTHON', sys.executable)
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [python, '-m', 'incoplax_emulator', '--port', '0'] + [str(arg) for arg in args],
            stdout=subprocess.PIPE, stderr=self.stderr, env=env, text=True)
        self.line = self._first_line()
        prefix = 'incoplax-emulator listening on '
        if not self.line.startswith(prefix):
            self.stop()
            raise RuntimeError('unexpected first line %r; stderr: %s' % (self.line, self.read_stderr()))
        self.url = self.line[len(prefix):].strip()
        self.vendor = self.url + VENDOR_PATH
        self.http = requests.Session()
        self.http.headers['Authorization'] = 'Bearer ' + TOKEN
        self.verify = True

    def _first_line(self):
        found = []
        reader = threading.Thread(target=lambda: found.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        if not found or not found[0]:
            self.stop()
            raise RuntimeError('emulator did not start; stderr: %s' % self.read_stderr())
        return found[0]

    def read_stderr(self):
        """Everything the emulator wrote to stderr so far."""
        self.stderr.seek(0)
        return self.stderr.read().decode('utf-8', 'replace')

    def stop(self, signum=signal.SIGTERM):
        """Send ``signum`` (SIGTERM), then kill if it does not exit; returns the exit code (-9 when killed)."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        self.process.stdout.close()
        return self.process.returncode

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

    def state(self, sessions=True):
        """GET /_emulator/state."""
        return self.control('GET', 'state', params=None if sessions else {'sessions': 'false'})

    def reset(self):
        """POST /_emulator/reset."""
        return self.control('POST', 'reset')

    def load(self, fixture):
        """POST /_emulator/load."""
        return self.control('POST', 'load', fixture)

    def faults(self, spec):
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


def _session(session_id, login, user_id, site, session_type='http', domain='master.domain', ttl=600, connections=None):
    entry = {'session_id': session_id, 'login': login, 'user_id': user_id, 'site': site,
             'session_type': session_type, 'domain': domain, 'ttl': ttl}
    if session_type == 'websocket':
        entry['connections'] = connections or [
            {'conn_id': 'c-' + session_id, 'is_pid_alive': True, 'node': 'ws1@192.168.0.32', 'pid': '<0.1.0>'}]
    return entry


# Small known data set: admin's own session own-0001 (http + websocket) on central and adm-east;
# alice: s-a1 (http + websocket, central), s-a2 (east); bob: s-b1 (west), bob/with/slash (central);
# another alice in other.domain: s-x1 (central).
SAMPLE = {
    'current_site': 'central',
    'sites': ['central', 'east', 'west'],
    'sessions': [
        _session('own-0001', 'admin', 'u-admin', 'central'),
        _session('own-0001', 'admin', 'u-admin', 'central', 'websocket'),
        _session('adm-east', 'admin', 'u-admin', 'east'),
        _session('s-a1', 'alice', 'u-alice', 'central'),
        _session('s-a1', 'alice', 'u-alice', 'central', 'websocket'),
        _session('s-a2', 'alice', 'u-alice', 'east'),
        _session('s-b1', 'bob', 'u-bob', 'west'),
        _session('bob/with/slash', 'bob', 'u-bob', 'central'),
        _session('s-x1', 'alice', 'u-alice-other', 'central', domain='other.domain'),
    ],
}


def ids(entries):
    """Sorted (session_id, session_type) pairs of a session list."""
    return sorted((entry['session_id'], entry['session_type']) for entry in entries)
