# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one playbook runner of the tests: real ``ansible-playbook`` with this source tree as ``incoplax.platform``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest
import yaml

from incoplax_testing.environ import clean_environ
from incoplax_testing import paths
from incoplax_testing.paths import CALLBACK_DIR, ROOT, program

CALLBACK_NAME = 'incoplax_results'
RESULTS_ENV = 'INCOPLAX_TEST_RESULTS_FILE'
PLAYBOOK_TIMEOUT = 300


def collections_path(tmp_path_factory):
    """An ANSIBLE_COLLECTIONS_PATH under which ``incoplax.platform`` is this source tree.

    The parent of a CI copy at ``.../ansible_collections/incoplax/platform``, else a symlink farm in a pytest tmp dir.
    """
    if paths.COLLECTIONS_ROOT:
        return paths.COLLECTIONS_ROOT
    base = str(tmp_path_factory.mktemp('collections'))
    namespace = os.path.join(base, 'ansible_collections', 'incoplax')
    os.makedirs(namespace)
    os.symlink(ROOT, os.path.join(namespace, 'platform'))
    return base


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
        """The results of the tasks called ``name``; role tasks (``role : name``) when no task has that exact name."""
        found = [item for item in self.results if item['task'] == name]
        return found or [item for item in self.results if item['task'].endswith(' : ' + name)]

    def task(self, name):
        """The result dict of the one task called ``name``; fails the test clearly if absent or ambiguous."""
        found = self.tasks(name)
        if len(found) != 1:
            pytest.fail('expected exactly one result for task %r, found %d; tasks run: %r\n%s'
                        % (name, len(found), self.statuses(), self.describe()), pytrace=False)
        return found[0]

    def result(self, name):
        """Shortcut: the module return values of task ``name``."""
        return self.task(name)['result']

    def shown(self, name, host='localhost'):
        """Every value of the variable ``name`` for ``host`` that a task showed, in order: a debug task of it (see
        ``show_facts``), or a task result's ansible_facts. ansible-core 2.21 sets the role's big facts without
        returning them, and 2.19 and 2.20 give the callbacks that result as for no_log: the debug task is the one way
        that holds on every core."""
        found = []
        for item in self.results:
            if item['host'] != host:
                continue
            if name in item['result'].get('ansible_facts', {}):
                found.append(item['result']['ansible_facts'][name])
            elif item['action'] == 'ansible.builtin.debug' and isinstance(item['result'].get(name), (dict, list)):
                found.append(item['result'][name])
        return found

    def fact(self, name, host='localhost'):
        """The last value of the variable ``name`` for ``host`` that a task showed (``shown``); fails the test clearly
        when none did."""
        found = self.shown(name, host)
        if not found:
            pytest.fail('no task showed %s for %s; tasks run: %r\n%s' % (name, host, self.statuses(), self.describe()),
                        pytrace=False)
        return found[-1]

    def statuses(self):
        """(task, status) of every result, in order."""
        return [(item['task'], item['status']) for item in self.results]

    def describe(self):
        return 'rc=%s\n--- stdout ---\n%s\n--- stderr ---\n%s' % (self.rc, self.stdout[-6000:], self.stderr[-4000:])

    def assert_ok(self):
        assert self.rc == 0, self.describe()
        return self


def show_facts(*names):
    """Debug tasks showing the variables ``names`` (PlaybookResult.fact reads them); put them in an ``always`` to see
    them after a failure too."""
    return [{'name': 'Show %s' % name, 'ansible.builtin.debug': {'var': name}} for name in names]


def as_plays(playbook):
    """Plays from a list of task dicts, one play dict or a list of play dicts (localhost, no facts by default)."""
    defaults = {'name': 'integration', 'hosts': 'localhost', 'gather_facts': False}
    if isinstance(playbook, dict):
        return [dict(defaults, **playbook)]
    if playbook and all(isinstance(item, dict) and 'hosts' in item for item in playbook):
        return [dict(defaults, **item) for item in playbook]
    return [dict(defaults, tasks=list(playbook))]


def run_playbook(workdir, settings, playbook, check=False, diff=False, extra_vars=None, env=None, verbosity=0,
                 timeout=PLAYBOOK_TIMEOUT, inventory=None, args=(), local=True):
    """Run ``ansible-playbook`` in ``workdir`` (a pathlib dir) and return a ``PlaybookResult``.

    ``settings``: the harness' ANSIBLE_* variables (collections path, home); ``playbook``: tasks, a play or plays
    (written to ``workdir/playbook.yml``), or a string passed as it is (a path or a collection playbook name).
    ``local``: ``-c local`` and this interpreter; False runs a collection playbook exactly as users do.
    """
    if isinstance(playbook, str):
        playbook_text = playbook_ref = playbook
    else:
        playbook_text = yaml.safe_dump(as_plays(playbook), default_flow_style=False, sort_keys=False)
        playbook_file = workdir / 'playbook.yml'
        playbook_file.write_text(playbook_text)
        playbook_ref = str(playbook_file)
    results_file = workdir / 'results.jsonl'
    command = [program('ansible-playbook'), playbook_ref, '-i', str(inventory or 'localhost,')]
    if local:
        command += ['-c', 'local', '-e', 'ansible_python_interpreter=%s' % sys.executable]
    if extra_vars:
        command += ['-e', json.dumps(extra_vars)]
    if check:
        command.append('--check')
    if diff:
        command.append('--diff')
    if verbosity:
        command.append('-' + 'v' * verbosity)
    command += [str(arg) for arg in args]
    run_env = dict(settings)
    run_env.update({
        'ANSIBLE_LOCAL_TEMP': str(workdir / 'local_tmp'),
        'ANSIBLE_REMOTE_TEMP': str(workdir / 'remote_tmp'),
        'ANSIBLE_CALLBACK_PLUGINS': CALLBACK_DIR,
        'ANSIBLE_CALLBACKS_ENABLED': CALLBACK_NAME,
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_CONFIG': None,
        RESULTS_ENV: str(results_file),
    })
    run_env.update(env or {})
    try:
        proc = subprocess.run(command, cwd=str(workdir), env=clean_environ(run_env), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        pytest.fail('ansible-playbook did not finish within %ss\n%s' % (timeout, exc.stdout), pytrace=False)
    results_text = results_file.read_text() if results_file.exists() else ''
    results = [json.loads(line) for line in results_text.splitlines() if line.strip()]
    return PlaybookResult(command, proc.returncode, proc.stdout, proc.stderr, results, results_text, playbook_text)


def module_task(name, module, options, ignore_errors=False, **task):
    """A task calling ``module`` with ``options`` (an option whose value is None is left out)."""
    item = {'name': name, module: {key: value for key, value in options.items() if value is not None}}
    if ignore_errors:
        item['ignore_errors'] = True
    item.update(task)
    return item
