# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drive the emulator from Python tests: start ``python -m incoplax_emulator --port 0`` and call its control interface.

Standard library only, and independent of the rest of the package: tests import it to run the emulator as a
subprocess (see "Driving it from Python tests" in ../README.md).
"""

import json
import os
import queue
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from urllib.parse import parse_qs

LISTEN_RE = re.compile(r'incoplax-emulator listening on (https?://\S+)')
START_TIMEOUT = 15
DEFAULT_TOKEN = 'emulator-token'
DEFAULT_USERNAME = 'admin'
DEFAULT_PASSWORD = 'admin-password'
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class EmulatorError(RuntimeError):
    """The emulator did not start, or a control request failed."""


class EmulatorProcess:
    """One ``python -m incoplax_emulator --port 0`` process and its control interface.

    ``args``: extra command line options; ``log_dir``: where to keep the process's stderr (an anonymous temporary
    file when None; ``read_stderr()`` reads it either way);
    ``python``: the interpreter to run (default ``sys.executable``); ``env``: the whole environment of the process
    (default ``os.environ``); the directory holding the package is prepended to its ``PYTHONPATH`` when missing;
    ``cwd``: its working directory; ``start_timeout``: seconds to wait for the "listening on" line.
    """

    def __init__(self, args=(), log_dir=None, python=None, env=None, cwd=None, start_timeout=START_TIMEOUT):
        self.args = [str(arg) for arg in args]
        self.token = self._option('--token', DEFAULT_TOKEN)
        self.username = self._option('--username', DEFAULT_USERNAME)
        self.password = self._option('--password', DEFAULT_PASSWORD)
        self.start_timeout = start_timeout
        self.url = None
        self.output = []
        self._lines = queue.Queue()
        env = dict(os.environ if env is None else env)
        paths = [item for item in env.get('PYTHONPATH', '').split(os.pathsep) if item]
        if PACKAGE_PARENT not in paths:
            env['PYTHONPATH'] = os.pathsep.join([PACKAGE_PARENT] + paths)
        if log_dir:
            self._stderr = tempfile.NamedTemporaryFile('w+', prefix='emulator-', suffix='.stderr', dir=log_dir, delete=False)
        else:
            self._stderr = tempfile.TemporaryFile('w+')  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [python or sys.executable, '-m', 'incoplax_emulator', '--port', '0'] + self.args,
            stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL, env=env,
            universal_newlines=True, cwd=cwd,
        )
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        try:
            self.url = self._wait_listening()
        except Exception:
            self.stop()
            raise
        context = None
        if self.url.startswith('https://'):
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))

    def _option(self, name, default):
        if name in self.args:
            return self.args[self.args.index(name) + 1]
        return default

    def _drain(self):
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _wait_listening(self):
        while True:
            try:
                line = self._lines.get(timeout=self.start_timeout)
            except queue.Empty:
                raise EmulatorError('emulator printed no "listening on" line within %ss: %s' % (self.start_timeout, self._diagnostics()))
            if line is None:
                self.proc.wait(timeout=5)
                raise EmulatorError('emulator exited with rc %s before listening: %s' % (self.proc.returncode, self._diagnostics()))
            self.output.append(line)
            match = LISTEN_RE.search(line)
            if match:
                return match.group(1).rstrip('/')

    def _diagnostics(self):
        return (''.join(self.output) + self.read_stderr()).strip()[-2000:] or '(no output)'

    def read_stderr(self):
        """Everything the process wrote to stderr so far (also after ``stop()``)."""
        if self._stderr.closed:
            return ''
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()

    @property
    def port(self):
        return int(self.url.rsplit(':', 1)[1])

    def _call(self, method, path, data=None):
        body = None if data is None else json.dumps(data).encode('utf-8')
        request = urllib.request.Request(self.url + path, data=body, method=method)
        if body is not None:
            request.add_header('Content-Type', 'application/json')
        try:
            with self._opener.open(request, timeout=30) as response:
                text = response.read().decode('utf-8')
        except urllib.error.HTTPError as exc:
            raise EmulatorError('%s %s: HTTP %s %s' % (method, path, exc.code, exc.read().decode('utf-8', 'replace')))
        return json.loads(text) if text.strip() else None

    def state(self):
        """``GET /_emulator/state``: current site, sites, live sessions, counters, request log."""
        return self._call('GET', '/_emulator/state')

    def reset(self):
        return self._call('POST', '/_emulator/reset')

    def load(self, fixture):
        return self._call('POST', '/_emulator/load', fixture)

    def set_faults(self, faults):
        return self._call('POST', '/_emulator/faults', faults)

    def faults(self):
        return self._call('GET', '/_emulator/faults')

    def counters(self):
        return self.state()['counters']

    def requests(self):
        return self.state()['requests']

    def logins(self):
        """The logins that still have at least one session, with their session ids."""
        found = {}
        for entry in self.state()['sessions']:
            found.setdefault(entry['login'], set()).add(entry['session_id'])
        return found

    @staticmethod
    def sites_query(entry):
        """The decoded JSON ``sites`` value of a logged request, or None when its query had no ``sites``."""
        values = parse_qs(entry.get('query') or '', keep_blank_values=True).get('sites')
        return None if not values else json.loads(values[-1])

    def stop(self, signum=signal.SIGTERM, timeout=10):
        """Send ``signum``, kill the process if it has not exited within ``timeout`` s; return its exit code.

        The stderr kept so far stays readable (``read_stderr``); the file is closed with this object.
        """
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        if self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode

    def __del__(self):
        stderr = getattr(self, '_stderr', None)
        if stderr is not None:
            stderr.close()
