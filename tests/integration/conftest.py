# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""pytest harness: real ``ansible-playbook`` runs against a real API emulator process.

See README.md in this directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import queue
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from urllib.parse import parse_qs

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMULATOR_PATH = os.path.join(ROOT, 'extensions', 'emulator')
CALLBACK_DIR = os.path.join(HERE, 'callback_plugins')
CALLBACK_NAME = 'incoplax_results'
RESULTS_ENV = 'INCOPLAX_TEST_RESULTS_FILE'
DEFAULT_TOKEN = 'emulator-token'
DEFAULT_USERNAME = 'admin'
DEFAULT_PASSWORD = 'admin-password'
LISTEN_RE = re.compile(r'incoplax-emulator listening on (https?://\S+)')
START_TIMEOUT = 15
PLAYBOOK_TIMEOUT = 300


def clean_environ(extra=None):
    """``os.environ`` without inherited INCOPLAX_* variables, plus ``extra`` (None values remove a key)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith('INCOPLAX_')}
    # The emulator always listens on loopback: never send its traffic through a proxy.
    for key in ('NO_PROXY', 'no_proxy'):
        env[key] = ','.join(item for item in (env.get(key), '127.0.0.1', 'localhost') if item)
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


class EmulatorError(RuntimeError):
    """The emulator did not start, or a control request failed."""


class Emulator:
    """One ``python -m incoplax_emulator`` process and its control interface."""

    def __init__(self, args=(), log_dir=None):
        self.args = [str(arg) for arg in args]
        self.token = self._option('--token', DEFAULT_TOKEN)
        self.username = self._option('--username', DEFAULT_USERNAME)
        self.password = self._option('--password', DEFAULT_PASSWORD)
        self.url = None
        self.output = []
        self._lines = queue.Queue()
        env = clean_environ({'PYTHONPATH': os.pathsep.join(
            item for item in (EMULATOR_PATH, os.environ.get('PYTHONPATH')) if item)})
        if log_dir:
            self._stderr = tempfile.NamedTemporaryFile('w+', prefix='emulator-', suffix='.stderr', dir=log_dir, delete=False)
        else:
            self._stderr = subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, '-m', 'incoplax_emulator', '--port', '0'] + self.args,
            stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL, env=env,
            universal_newlines=True, cwd=ROOT,
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
                line = self._lines.get(timeout=START_TIMEOUT)
            except queue.Empty:
                raise EmulatorError('emulator printed no "listening on" line within %ss: %s' % (START_TIMEOUT, self._diagnostics()))
            if line is None:
                self.proc.wait(timeout=5)
                raise EmulatorError('emulator exited with rc %s before listening: %s' % (self.proc.returncode, self._diagnostics()))
            self.output.append(line)
            match = LISTEN_RE.search(line)
            if match:
                return match.group(1).rstrip('/')

    def _diagnostics(self):
        text = ''.join(self.output)
        if self._stderr is not subprocess.DEVNULL:
            self._stderr.flush()
            self._stderr.seek(0)
            text += self._stderr.read()
        return text.strip()[-2000:] or '(no output)'

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

    @staticmethod
    def sites_query(entry):
        """The decoded JSON ``sites`` value of a logged request, or None when its query had no ``sites``."""
        values = parse_qs(entry.get('query') or '', keep_blank_values=True).get('sites')
        return None if not values else json.loads(values[-1])

    def requests(self):
        return self.state()['requests']

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        if self.proc.stdout:
            self.proc.stdout.close()
        if self._stderr is not subprocess.DEVNULL:
            self._stderr.close()


class PlaybookResult:
    """Outcome of one ``ansible-playbook`` run: rc, stdout, stderr and every task result (callback JSON)."""

    def __init__(self, command, rc, stdout, stderr, results, results_text, playbook):
        self.command = command
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.results = results
        self.results_text = results_text
        self.playbook = playbook

    def tasks(self, name):
        return [item for item in self.results if item['task'] == name]

    def task(self, name):
        """The result dict of the one task called ``name``; fails the test clearly if absent or ambiguous."""
        found = self.tasks(name)
        if len(found) != 1:
            pytest.fail('expected exactly one result for task %r, found %d; tasks run: %r\n%s'
                        % (name, len(found), [item['task'] for item in self.results], self.describe()), pytrace=False)
        return found[0]

    def result(self, name):
        """Shortcut: the module return values of task ``name``."""
        return self.task(name)['result']

    def describe(self):
        return 'rc=%s\n--- stdout ---\n%s\n--- stderr ---\n%s' % (self.rc, self.stdout[-6000:], self.stderr[-4000:])

    def assert_ok(self):
        assert self.rc == 0, self.describe()
        return self


def _collections_path(tmp_path_factory):
    parent = os.path.dirname(ROOT)
    if os.path.basename(ROOT) == 'platform' and os.path.basename(parent) == 'incoplax' \
            and os.path.basename(os.path.dirname(parent)) == 'ansible_collections':
        return os.path.dirname(os.path.dirname(parent))
    base = str(tmp_path_factory.mktemp('collections'))
    namespace = os.path.join(base, 'ansible_collections', 'incoplax')
    os.makedirs(namespace)
    os.symlink(ROOT, os.path.join(namespace, 'platform'))
    return base


@pytest.fixture(scope='session')
def collections_path(tmp_path_factory):
    """ANSIBLE_COLLECTIONS_PATH under which ``incoplax.platform`` is this source tree."""
    return _collections_path(tmp_path_factory)


@pytest.fixture(scope='session')
def ansible_home(tmp_path_factory):
    return str(tmp_path_factory.mktemp('ansible_home'))


def _as_plays(playbook):
    defaults = {'name': 'integration', 'hosts': 'localhost', 'gather_facts': False}
    if isinstance(playbook, dict):
        return [dict(defaults, **playbook)]
    if playbook and all(isinstance(item, dict) and 'hosts' in item for item in playbook):
        return [dict(defaults, **item) for item in playbook]
    return [dict(defaults, tasks=list(playbook))]


@pytest.fixture
def run_playbook(tmp_path, collections_path, ansible_home):
    """``run_playbook(tasks_or_play, check=False, diff=False, extra_vars=None, env=None, verbosity=0, timeout=300,
    inventory=None, args=())``.

    ``tasks_or_play`` is a list of task dicts, one play dict, or a list of play dicts (each with ``hosts``);
    a string is passed to ``ansible-playbook`` as it is (a playbook path, or a collection playbook such as
    ``incoplax.platform.forced_logout``).
    ``env`` adds variables to the cleaned environment (a None value removes one).
    ``inventory`` replaces ``-i localhost,`` (a path or an inline host list); ``args`` are appended to the command.
    """
    counter = [0]
    playbook_cmd = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')

    def run(playbook, check=False, diff=False, extra_vars=None, env=None, verbosity=0, timeout=PLAYBOOK_TIMEOUT,
            inventory=None, args=()):
        counter[0] += 1
        workdir = tmp_path / ('run%d' % counter[0])
        workdir.mkdir()
        if isinstance(playbook, str):
            playbook_text = playbook_ref = playbook
        else:
            playbook_text = yaml.safe_dump(_as_plays(playbook), default_flow_style=False, sort_keys=False)
            playbook_file = workdir / 'playbook.yml'
            playbook_file.write_text(playbook_text)
            playbook_ref = str(playbook_file)
        results_file = workdir / 'results.jsonl'
        command = [playbook_cmd, playbook_ref, '-i', str(inventory or 'localhost,'), '-c', 'local',
                   '-e', 'ansible_python_interpreter=%s' % sys.executable]
        if extra_vars:
            command += ['-e', json.dumps(extra_vars)]
        if check:
            command.append('--check')
        if diff:
            command.append('--diff')
        if verbosity:
            command.append('-' + 'v' * verbosity)
        command += [str(arg) for arg in args]
        settings = {
            'ANSIBLE_COLLECTIONS_PATH': collections_path,
            'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
            'ANSIBLE_HOME': ansible_home,
            'ANSIBLE_LOCAL_TEMP': str(workdir / 'local_tmp'),
            'ANSIBLE_REMOTE_TEMP': str(workdir / 'remote_tmp'),
            'ANSIBLE_CALLBACK_PLUGINS': CALLBACK_DIR,
            'ANSIBLE_CALLBACKS_ENABLED': CALLBACK_NAME,
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_FORCE_COLOR': '0',
            'ANSIBLE_RETRY_FILES_ENABLED': 'false',
            'ANSIBLE_CONFIG': None,
            RESULTS_ENV: str(results_file),
        }
        settings.update(env or {})
        run_env = clean_environ(settings)
        try:
            proc = subprocess.run(command, cwd=str(workdir), env=run_env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            pytest.fail('ansible-playbook did not finish within %ss\n%s' % (timeout, exc.stdout), pytrace=False)
        results_text = results_file.read_text() if results_file.exists() else ''
        results = [json.loads(line) for line in results_text.splitlines() if line.strip()]
        return PlaybookResult(command, proc.returncode, proc.stdout, proc.stderr, results, results_text, playbook_text)

    return run


@pytest.fixture(scope='session')
def emulator_log_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp('emulator_logs'))


@pytest.fixture(scope='session')
def session_emulator(emulator_log_dir):
    """One emulator per pytest (xdist worker) process."""
    instance = Emulator(log_dir=emulator_log_dir)
    yield instance
    instance.stop()


@pytest.fixture
def emulator(session_emulator):
    """The shared emulator, reset to its start-up data set, with zero counters and no faults."""
    session_emulator.reset()
    return session_emulator


@pytest.fixture
def start_emulator(emulator_log_dir):
    """Factory: ``start_emulator(*args)`` starts a dedicated emulator, stopped at teardown."""
    started = []

    def start(*args):
        instance = Emulator(args, log_dir=emulator_log_dir)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()


@pytest.fixture
def closed_port():
    """A loopback TCP port that refuses connections: bound but never listening, held for the whole test."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    yield sock.getsockname()[1]
    sock.close()
