# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""pytest harness: real ``ansible-playbook`` runs against a real API emulator process.

See README.md in this directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import subprocess
import sys
import threading

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMULATOR_PATH = os.path.join(ROOT, 'extensions', 'emulator')
CALLBACK_DIR = os.path.join(HERE, 'callback_plugins')
CALLBACK_NAME = 'incoplax_results'
RESULTS_ENV = 'INCOPLAX_TEST_RESULTS_FILE'
START_TIMEOUT = 15
PLAYBOOK_TIMEOUT = 300

if EMULATOR_PATH not in sys.path:
    sys.path.insert(0, EMULATOR_PATH)

from incoplax_emulator.process import EmulatorError, EmulatorProcess  # noqa: E402 pylint: disable=wrong-import-position,unused-import


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


class Emulator(EmulatorProcess):
    """One ``python -m incoplax_emulator`` process and its control interface (see incoplax_emulator.process)."""

    def __init__(self, args=(), log_dir=None):
        env = clean_environ({'PYTHONPATH': os.pathsep.join(
            item for item in (EMULATOR_PATH, os.environ.get('PYTHONPATH')) if item)})
        super().__init__(args, log_dir=log_dir, python=sys.executable, env=env, cwd=ROOT, start_timeout=START_TIMEOUT)


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


@pytest.fixture
def local_server():
    """Factory: ``local_server(answer, host='127.0.0.1')``, stopped at teardown."""
    started = []

    def start(answer, host='127.0.0.1'):
        instance = LocalServer(answer, host)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()
