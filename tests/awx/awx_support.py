# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Support of the tests/awx tests: AWX jobs replayed with ``ansible-runner``, against real API emulator processes.

A job is run the way AWX runs it: a private data dir with ``project/`` (the project playbooks of
extensions/awx/project), ``inventory/hosts`` (an executable script printing the inventory as JSON, sliced like
AWX slices it), ``env/envvars`` (what the credential type of extensions/awx/credential_type.yml injects, rendered
with AWX's rules), ``env/extravars`` (survey answers checked and completed with AWX's rules, plus workflow
artifacts), ``env/settings`` and ``env/cmdline``; then ``ansible-runner run <dir> -p <playbook> --ident <id>``.
Results come from the runner's artifacts: ``status``, ``rc``, ``stdout``, ``job_events/`` and the ``set_stats``
data of the ``playbook_on_stats`` event (``artifact_data``, what AWX keeps as the job's artifacts).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
import subprocess
import sys
import tempfile
import types

import pytest
import yaml

from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
SUPPORT = os.path.join(os.path.dirname(HERE), 'support')
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)

from incoplax_testing import cast  # noqa: E402 pylint: disable=wrong-import-position
from incoplax_testing.emulator import Emulator  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import
from incoplax_testing.environ import OWN_AND_ANSIBLE, clean_environ as _clean_environ  # noqa: E402 pylint: disable=wrong-import-position
from incoplax_testing.paths import BIN, ROOT  # noqa: E402 pylint: disable=wrong-import-position

AWX_DIR = os.path.join(ROOT, 'extensions', 'awx')
PROJECT_DIR = os.path.join(AWX_DIR, 'project')
JOB_TIMEOUT = 300

DOMAIN = cast.MASTER
SITES = cast.SITES
ADMIN_SESSION = 'a0000000-0000-0000-0000-000000000001'


def clean_environ(extra=None):
    """What AWX gives a job: no inherited INCOPLAX_* or ANSIBLE_* variable, the venv's programs first on PATH."""
    return _clean_environ(extra, drop=OWN_AND_ANSIBLE, venv_first=True)


def run_command(command, cwd, env, timeout=300):
    """Run ``command``; fail the test with its output unless it exits 0. Returns the output."""
    result = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=timeout, check=False)
    assert result.returncode == 0, '%s failed (rc %s):\n%s' % (' '.join(command), result.returncode, result.stdout[-6000:])
    return result.stdout


def load_yaml(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def load_json(path):
    with open(path) as handle:
        return json.load(handle)


# ---------------------------------------------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------------------------------------------

def session(session_id, login, site, session_type='http', ttl=3600):
    """One vendor-shaped session entry of the fixture (websocket entries with one live connection)."""
    connections = None
    if session_type == 'websocket':
        connections = [{'conn_id': 'c-%s' % session_id, 'is_pid_alive': True, 'node': 'ws1@192.168.0.31', 'pid': '<0.1.0>'}]
    return cast.entry(session_id, login, site, session_type, ttl=ttl, connections=connections)


def base_fixture(prefix='s'):
    """Targets jdoe (3 sessions, one also a websocket) and mallory (2); bob, breakglass and admin stay."""
    sessions = [
        session(ADMIN_SESSION, 'admin', 'central'),
        session('%s-jdoe-1' % prefix, 'jdoe', 'central'),
        session('%s-jdoe-2' % prefix, 'jdoe', 'east'),
        session('%s-jdoe-2' % prefix, 'jdoe', 'east', 'websocket'),
        session('%s-jdoe-3' % prefix, 'jdoe', 'west'),
        session('%s-mallory-1' % prefix, 'mallory', 'central'),
        session('%s-mallory-2' % prefix, 'mallory', 'west'),
        session('%s-bob-1' % prefix, 'bob', 'central'),
        session('%s-bob-2' % prefix, 'bob', 'east'),
        session('%s-breakglass-1' % prefix, 'breakglass', 'central'),
    ]
    return cast.fixture(sessions)


# ---------------------------------------------------------------------------------------------------------------
# AWX rules: credential injection, surveys, inventories
# ---------------------------------------------------------------------------------------------------------------

def credential_type():
    """extensions/awx/credential_type.yml."""
    return load_yaml(os.path.join(AWX_DIR, 'credential_type.yml'))


def survey(name):
    """extensions/awx/surveys/<name>.json."""
    return load_json(os.path.join(AWX_DIR, 'surveys', '%s.json' % name))


def awx_inject(cred_type, inputs, private_data_dir):
    """The environment a job gets from a credential of this custom type, with AWX's injection rules.

    As AWX (awx_plugins ``inject_credential``): a boolean input that was never set is false; an empty or unset
    input is undefined, so it renders as an empty string; every ``file`` template is written to a private file
    in ``<private_data_dir>/env`` (mode 0600) whose path is ``tower.filename``; every ``env`` injector is set.
    """
    fields = cred_type['inputs'].get('fields', [])
    namespace = {'tower': types.SimpleNamespace(filename=None)}
    for name, value in inputs.items():
        if isinstance(value, bool) or value:
            namespace[name] = value
    for field in fields:
        if field.get('type') == 'boolean' and field['id'] not in inputs:
            namespace[field['id']] = False
    sandbox = ImmutableSandboxedEnvironment()
    env_dir = os.path.join(private_data_dir, 'env')
    if not os.path.isdir(env_dir):
        os.makedirs(env_dir)
    files = {}
    for label, template in cred_type['injectors'].get('file', {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, 'w') as out:
            out.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if '.' not in label:
            namespace['tower'].filename = path
        else:
            files[label.split('.', 1)[1]] = path
    if files:
        namespace['tower'].filename = types.SimpleNamespace(**files)
    return {name: sandbox.from_string(template).render(**namespace)
            for name, template in cred_type['injectors'].get('env', {}).items()}


class SurveyError(ValueError):
    """An answer AWX would refuse at launch."""


def survey_extra_vars(spec, answers):
    """The extra vars AWX launches a job with, from the answers to a survey, with AWX's validation rules.

    Unanswered questions with a ``default`` get it; a required question without answer or default, a value of
    the wrong type, out of ``min``/``max`` or not among the ``choices`` is refused like the launch endpoint does.
    """
    extra_vars = {}
    known = set()
    for question in spec['spec']:
        variable = question['variable']
        known.add(variable)
        if variable in answers:
            value = answers[variable]
        elif question.get('default') not in (None, ''):
            value = question['default']
        elif question.get('required'):
            raise SurveyError('%s: a required survey answer is missing' % variable)
        else:
            continue
        kind = question['type']
        if kind in ('text', 'textarea', 'password'):
            if not isinstance(value, str):
                raise SurveyError('%s: expected a string, got %r' % (variable, value))
            if question.get('required') and not value:
                raise SurveyError('%s: a required survey answer is empty' % variable)
            if len(value) < int(question.get('min') or 0) or ('max' in question and len(value) > int(question['max'])):
                raise SurveyError('%s: %r has a length out of %s..%s' % (variable, value, question.get('min'), question.get('max')))
        elif kind in ('integer', 'float'):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind == 'integer' and not isinstance(value, int)):
                raise SurveyError('%s: expected a number (%s), got %r' % (variable, kind, value))
            if ('min' in question and value < question['min']) or ('max' in question and value > question['max']):
                raise SurveyError('%s: %r is out of %s..%s' % (variable, value, question.get('min'), question.get('max')))
        elif kind == 'multiplechoice':
            if value not in question['choices']:
                raise SurveyError('%s: %r is not one of %s' % (variable, value, question['choices']))
        elif kind == 'multiselect':
            if not isinstance(value, list) or any(item not in question['choices'] for item in value):
                raise SurveyError('%s: %r is not a list of %s' % (variable, value, question['choices']))
        else:
            raise SurveyError('%s: unknown survey type %r' % (variable, kind))
        extra_vars[variable] = value
    unknown = set(answers) - known
    if unknown:
        raise SurveyError('answers to no question of the survey: %s' % ', '.join(sorted(unknown)))
    return extra_vars


def awx_inventory(hosts, group='clusters', slice_number=1, slice_count=1):
    """AWX's inventory script data for ``{host: hostvars}`` in one group, sliced like AWX job slicing does.

    AWX orders the hosts by name and gives slice N (1-based) of M the hosts N-1, N-1+M, N-1+2M, ...
    """
    names = sorted(hosts)[slice_number - 1::slice_count]
    return {
        'all': {'children': [group]},
        group: {'hosts': names, 'vars': {}, 'children': []},
        '_meta': {'hostvars': {name: hosts[name] for name in names}},
    }


# ---------------------------------------------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------------------------------------------

class Job:
    """One finished ``ansible-runner`` job: its private data dir and artifacts."""

    def __init__(self, private_data_dir, ident, runner_rc, runner_output):
        self.private_data_dir = private_data_dir
        self.ident = ident
        self.artifact_dir = os.path.join(private_data_dir, 'artifacts', ident)
        self.runner_rc = runner_rc
        self.runner_output = runner_output
        self.status = self._read('status')
        self.rc = self._read('rc')
        self.stdout = self._read('stdout') or ''
        events_dir = os.path.join(self.artifact_dir, 'job_events')
        self.events = []
        if os.path.isdir(events_dir):
            for name in os.listdir(events_dir):
                if name.endswith('.json'):
                    self.events.append(load_json(os.path.join(events_dir, name)))
        self.events.sort(key=lambda event: event.get('counter', 0))

    def _read(self, name):
        path = os.path.join(self.artifact_dir, name)
        if not os.path.exists(path):
            return None
        with open(path) as handle:
            return handle.read().strip() if name in ('status', 'rc') else handle.read()

    @property
    def artifacts(self):
        """The ``set_stats`` data of the job, as AWX keeps it (``artifact_data`` of ``playbook_on_stats``)."""
        stats = [event for event in self.events if event.get('event') == 'playbook_on_stats']
        assert len(stats) == 1, 'expected one playbook_on_stats event\n%s' % self.describe()
        return stats[0]['event_data'].get('artifact_data', {})

    def hosts(self, event_name='runner_on_ok'):
        return {event['event_data'].get('host') for event in self.events if event.get('event') == event_name}

    def failure_messages(self):
        return [event['event_data']['res'].get('msg', '') for event in self.events
                if event.get('event') == 'runner_on_failed' and not event['event_data'].get('ignore_errors')]

    def artifact_files(self):
        """Every file the job left in its artifacts directory, as {relative path: bytes}."""
        found = {}
        for base, _dirs, names in os.walk(self.artifact_dir):
            for name in names:
                path = os.path.join(base, name)
                with open(path, 'rb') as handle:
                    found[os.path.relpath(path, self.artifact_dir)] = handle.read()
        return found

    def describe(self):
        return 'status=%s rc=%s runner_rc=%s\n--- stdout ---\n%s\n--- runner ---\n%s' % (
            self.status, self.rc, self.runner_rc, self.stdout[-8000:], (self.runner_output or '')[-2000:])

    def assert_successful(self):
        assert (self.status, self.rc) == ('successful', '0'), self.describe()
        return self


class AwxJobs:
    """Makes AWX-like private data dirs and runs them with ``ansible-runner``."""

    def __init__(self, base, collections_path, ansible_home):
        self.base = base
        self.collections_path = collections_path
        self.ansible_home = ansible_home
        self.count = 0

    def prepare(self, extravars, inventory=None, credential=None, job_template='Incoplax forced logout', verbosity=0):
        """A private data dir; ``credential`` is the inputs of an Incoplax credential, or None for none."""
        self.count += 1
        job_id = 100 + self.count
        private_data_dir = os.path.join(self.base, 'job%d' % job_id)
        for sub in ('project', 'inventory', 'env'):
            os.makedirs(os.path.join(private_data_dir, sub))
        for name in os.listdir(PROJECT_DIR):
            with open(os.path.join(PROJECT_DIR, name)) as src, open(os.path.join(private_data_dir, 'project', name), 'w') as dst:
                dst.write(src.read())
        # AWX writes the inventory as an executable script that prints it as JSON.
        inventory = inventory or {'all': {'hosts': []}, '_meta': {'hostvars': {}}}
        script = os.path.join(private_data_dir, 'inventory', 'hosts')
        with open(script, 'w') as handle:
            handle.write('#! %s\n# -*- coding: utf-8 -*-\nprint(%r)\n' % (sys.executable, json.dumps(inventory)))
        os.chmod(script, stat.S_IRUSR | stat.S_IXUSR | stat.S_IWUSR)
        envvars = {
            'ANSIBLE_COLLECTIONS_PATH': self.collections_path,
            'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'False',
            'ANSIBLE_HOME': self.ansible_home,
            'ANSIBLE_LOCAL_TEMP': os.path.join(private_data_dir, 'tmp'),
            'ANSIBLE_REMOTE_TEMP': os.path.join(private_data_dir, 'tmp'),
            'ANSIBLE_RETRY_FILES_ENABLED': 'False',
            'ANSIBLE_INVENTORY_UNPARSED_FAILED': 'True',
            'ANSIBLE_LOCALHOST_WARNING': 'False',
            'ANSIBLE_FORCE_COLOR': 'False',
            'ANSIBLE_NOCOLOR': 'True',
            'JOB_ID': str(job_id),
            'AWX_HOST': 'https://awx.example.com',
        }
        if credential is not None:
            envvars.update(awx_inject(credential_type(), credential, private_data_dir))
        awx_vars = {'awx_job_id': job_id, 'awx_job_template_name': job_template, 'awx_user_name': 'admin',
                    'tower_job_id': job_id, 'tower_job_template_name': job_template}
        files = {
            'envvars': envvars,
            'extravars': dict(awx_vars, **extravars),
            'settings': {'job_timeout': JOB_TIMEOUT, 'pexpect_timeout': 5, 'pexpect_use_poll': True,
                         'suppress_ansible_output': True},
        }
        for name, data in files.items():
            path = os.path.join(private_data_dir, 'env', name)
            with open(path, 'w') as handle:
                json.dump(data, handle)
            os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if verbosity:
            with open(os.path.join(private_data_dir, 'env', 'cmdline'), 'w') as handle:
                handle.write('-' + 'v' * verbosity)
        return private_data_dir

    def start(self, private_data_dir, playbook='forced_logout.yml', ident='1'):
        command = [os.path.join(BIN, 'ansible-runner'), 'run', private_data_dir, '-p', playbook, '--ident', ident]
        return subprocess.Popen(command, env=clean_environ(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, universal_newlines=True)

    def wait(self, private_data_dir, proc, ident='1'):
        try:
            output = proc.communicate(timeout=JOB_TIMEOUT + 30)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            pytest.fail('ansible-runner did not finish within %ss' % (JOB_TIMEOUT + 30), pytrace=False)
        return Job(private_data_dir, ident, proc.returncode, output)

    def run(self, extravars, playbook='forced_logout.yml', ident='1', **kwargs):
        private_data_dir = self.prepare(extravars, **kwargs)
        return self.wait(private_data_dir, self.start(private_data_dir, playbook, ident), ident)
