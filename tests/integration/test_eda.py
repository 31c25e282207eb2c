# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Integration tests of the Event-Driven Ansible content: the real ansible-rulebook, the real emulator.

Each run ends by itself: siem_containment through its shutdown rule (allowed by a variable), quarantine_watch
after its first closure (or its finite source).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest
import requests
import yaml

from incoplax_testing.environ import clean_environ  # pylint: disable=import-error
from incoplax_testing.fixtures import started  # pylint: disable=import-error

RULEBOOK_CMD = os.path.join(os.path.dirname(sys.executable), 'ansible-rulebook')
SESSIONS_PATH = '/rest/v1/master/logicalroles/ws/sessions'
EMULATOR_TOKEN = 'emulator-token'
WEBHOOK_TOKEN = 'webhook-T0ken-8c1f'
NOTIFY_TOKEN = 'notify-T0ken-42aa'
DOMAIN = 'master.domain'
# Waits for something to happen, not assertions on time: a slow machine only makes the test slower.
START_WAIT = 120
WORK_WAIT = 150


def last_evidence(report_dir, name):
    """The JSON evidence of the latest run of ``name``, as the ticket's ledger lists it (every run writes new files)."""
    record = json.loads((report_dir / (name + '.ledger.jsonl')).read_text().splitlines()[-1])
    return json.loads((report_dir / record['files']['json']['name']).read_text())


def require_java():
    if shutil.which('java') is None:
        pytest.fail('ansible-rulebook needs a Java runtime (JDK 17 or later) on PATH: install one, for example '
                    '"apt-get install openjdk-17-jre-headless", then rerun', pytrace=False)


def free_port():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class Rulebook:
    """One ``ansible-rulebook`` process; its output goes to a file the test can read while it runs."""

    def __init__(self, rulebook, variables, workdir, collections_path, ansible_home, env):
        require_java()
        self.workdir = workdir
        vars_file = workdir / 'vars.yml'
        vars_file.write_text(yaml.safe_dump(variables))
        inventory = workdir / 'inventory.yml'
        inventory.write_text(yaml.safe_dump({'all': {'hosts': {'localhost': {
            'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}}}))
        self.output_path = workdir / 'rulebook.log'
        settings = {
            'ANSIBLE_COLLECTIONS_PATH': collections_path,
            'ANSIBLE_HOME': ansible_home,
            'ANSIBLE_LOCAL_TEMP': str(workdir / 'local_tmp'),
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_CONFIG': None,
            # The engine finds ansible-playbook and ansible-galaxy on PATH: use this venv's.
            'PATH': os.pathsep.join((os.path.dirname(sys.executable), os.environ.get('PATH', ''))),
        }
        settings.update(env)
        self.command = [RULEBOOK_CMD, '--rulebook', rulebook, '--vars', str(vars_file), '--inventory', str(inventory),
                        '--shutdown-delay', '5', '-v']
        self.output = open(self.output_path, 'w')  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(self.command, cwd=str(workdir), env=clean_environ(settings),  # pylint: disable=consider-using-with
                                     stdin=subprocess.DEVNULL, stdout=self.output, stderr=subprocess.STDOUT)

    def text(self):
        self.output.flush()
        return self.output_path.read_text(errors='replace')

    def describe(self):
        return 'ansible-rulebook rc=%s\n%s' % (self.proc.poll(), self.text()[-8000:])

    def wait_for(self, what, predicate, timeout=WORK_WAIT):
        """Wait until ``predicate()`` is true; fail with the engine's output if it exits or never happens."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            if self.proc.poll() is not None:
                pytest.fail('ansible-rulebook ended before %s\n%s' % (what, self.describe()), pytrace=False)
            time.sleep(0.2)
        pytest.fail('no %s within %s s\n%s' % (what, timeout, self.describe()), pytrace=False)

    def wait_exit(self, timeout=WORK_WAIT):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail('ansible-rulebook did not end by itself\n%s' % self.describe(), pytrace=False)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.output.close()


@pytest.fixture
def rulebook(tmp_path, collections_path, ansible_home):
    """Factory: ``rulebook(name, variables, env)`` starts ``incoplax.platform.<name>``; stopped at teardown."""
    count = [0]

    def start(name, variables, env):
        count[0] += 1
        workdir = tmp_path / ('rulebook%d' % (count[0] - 1))
        workdir.mkdir()
        return Rulebook('incoplax.platform.' + name, variables, workdir, collections_path, ansible_home, env)

    yield from started(start)


@pytest.fixture
def receiver(local_server):
    """The loopback notification receiver: answers 204 and keeps every request."""
    return local_server(lambda request: (204, {}, b''))


def notifications(receiver):
    return [dict(json.loads(request['body'].decode('utf-8')), _authorization=request['headers'].get('Authorization'))
            for request in receiver.requests if request['method'] == 'POST']


def api_env(emulator):
    return {'INCOPLAX_URL': emulator.url, 'INCOPLAX_TOKEN': EMULATOR_TOKEN}


def containment_vars(receiver, report_dir, port, **overrides):
    values = {
        'webhook_port': port,
        'webhook_token': WEBHOOK_TOKEN,
        'incoplax_domain': DOMAIN,
        'contain_severities': ['high', 'critical'],
        'plan_threshold': 3,
        'protected_users': ['admin'],
        'max_sessions': 50,
        'report_dir': str(report_dir),
        'notify_url': receiver.url + '/hook',
        'notify_token': NOTIFY_TOKEN,
        'allow_remote_shutdown': True,
    }
    values.update(overrides)
    return values


def post_alert(port, payload, token=WEBHOOK_TOKEN):
    return requests.post('http://127.0.0.1:%d/alerts' % port, json=payload, timeout=10,
                         headers={'Authorization': 'Bearer %s' % token})


def webhook_ready(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1):
            return True
    except OSError:
        return False


def vendor_requests(emulator):
    return [item for item in emulator.requests() if item['path'].startswith(SESSIONS_PATH)]


def test_alert_closes_the_accounts_once_and_notifies(emulator, rulebook, receiver, tmp_path):
    report_dir = tmp_path / 'evidence'
    port = free_port()
    before = emulator.logins()
    assert before['user0001'] and before['user0002']
    engine = rulebook('siem_containment', containment_vars(receiver, report_dir, port), api_env(emulator))
    engine.wait_for('webhook listening', lambda: webhook_ready(port), START_WAIT)

    assert post_alert(port, {'alert_id': 'SIEM-1'}, token='wrong').status_code == 401
    alert = {'alert_id': 'SIEM-1', 'severity': 'high', 'accounts': ['user0001', 'user0002']}
    assert post_alert(port, alert).status_code == 200
    engine.wait_for('notification', lambda: notifications(receiver))

    note = notifications(receiver)[0]
    assert note['_authorization'] == 'Bearer ' + NOTIFY_TOKEN
    assert (note['outcome'], note['ok'], note['ticket'], note['mode']) == ('contained', True, 'SIEM-1', 'run')
    closed = len(before['user0001']) + len(before['user0002'])
    assert (note['closed'], note['remaining']) == (closed, 0)
    after = emulator.logins()
    assert 'user0001' not in after and 'user0002' not in after
    assert after == {login: ids for login, ids in before.items() if login not in ('user0001', 'user0002')}
    evidence = last_evidence(report_dir, 'SIEM-1')
    assert evidence['ticket'] == 'SIEM-1'
    assert sorted({entry['login'] for entry in evidence['closed']}) == ['user0001', 'user0002']

    # The same alert again, and a storm naming the same accounts under a new id: throttled, nothing runs.
    seen = len(vendor_requests(emulator))
    assert post_alert(port, alert).status_code == 200
    assert post_alert(port, dict(alert, alert_id='SIEM-2', accounts=['USER0002', 'user0001'])).status_code == 200
    # A low-severity alert is not a containment.
    assert post_alert(port, dict(alert, alert_id='SIEM-3', severity='low', accounts=['user0003'])).status_code == 200
    assert post_alert(port, {'incoplax_control': 'shutdown'}).status_code == 200
    assert engine.wait_exit() == 0, engine.describe()
    assert len(vendor_requests(emulator)) == seen, 'a throttled alert reached the platform'
    assert len(notifications(receiver)) == 1
    assert 'user0003' in emulator.logins()
    assert WEBHOOK_TOKEN not in engine.text() and EMULATOR_TOKEN not in engine.text()


def test_large_alert_only_writes_a_plan(emulator, rulebook, receiver, tmp_path):
    report_dir = tmp_path / 'evidence'
    port = free_port()
    before = emulator.logins()
    engine = rulebook('siem_containment', containment_vars(receiver, report_dir, port, plan_threshold=1),
                      api_env(emulator))
    engine.wait_for('webhook listening', lambda: webhook_ready(port), START_WAIT)
    # An all-digit alert id stays the string it is (ansible-rulebook renders templates natively).
    alert = {'alert_id': '4711', 'severity': 'critical', 'accounts': ['user0001', 'user0002']}
    assert post_alert(port, alert).status_code == 200
    engine.wait_for('notification', lambda: notifications(receiver))
    assert post_alert(port, {'incoplax_control': 'shutdown'}).status_code == 200
    assert engine.wait_exit() == 0, engine.describe()

    note = notifications(receiver)[0]
    # In plan mode the role's one set_stats holds the counts and the plan: the notification names the accounts.
    assert (note['outcome'], note['mode'], note['users'], note['sessions']) == \
        ('plan_ready', 'plan', ['user0001', 'user0002'], len(before['user0001']) + len(before['user0002']))
    assert isinstance(note['plan_hash'], str) and len(note['plan_hash']) >= 32
    assert emulator.logins() == before
    assert [item['method'] for item in vendor_requests(emulator)] and \
        all(item['method'] == 'GET' for item in vendor_requests(emulator))
    assert list(report_dir.glob('4711.*.plan.json')), sorted(path.name for path in report_dir.iterdir())


def test_alert_naming_a_protected_account_closes_nothing_and_notifies_the_failure(emulator, rulebook, receiver, tmp_path):
    report_dir = tmp_path / 'evidence'
    port = free_port()
    before = emulator.logins()
    engine = rulebook('siem_containment', containment_vars(receiver, report_dir, port), api_env(emulator))
    engine.wait_for('webhook listening', lambda: webhook_ready(port), START_WAIT)
    alert = {'alert_id': 'SIEM-ADMIN', 'severity': 'high', 'accounts': ['user0001', 'admin']}
    assert post_alert(port, alert).status_code == 200

    def done():
        # Without the role's flag the failed run posts nothing back: stop waiting once its recap is out.
        if notifications(receiver):
            return True
        return 'PLAY RECAP' in engine.text() and 'failed=1' in engine.text()

    engine.wait_for('notification or failed containment', done)
    assert emulator.logins() == before
    assert all(item['method'] == 'GET' for item in vendor_requests(emulator))
    assert notifications(receiver), 'the failed containment was not notified'
    note = notifications(receiver)[0]
    assert (note['outcome'], note['ok'], note['ticket'], note['closed']) == ('failed', False, 'SIEM-ADMIN', 0)
    assert post_alert(port, {'incoplax_control': 'shutdown'}).status_code == 200
    assert engine.wait_exit() == 0, engine.describe()


def test_quarantine_closes_a_relogin(emulator, rulebook, receiver, tmp_path):
    report_dir = tmp_path / 'evidence'
    emulator.set_faults({'relogin_after': 2, 'relogin_users': ['user0003'], 'relogin_times': 1})
    variables = {
        'contained_accounts': ['user0003'],
        'ticket': 'INC-7',
        'protected_users': ['admin'],
        'max_sessions': 50,
        'report_dir': str(report_dir),
        'notify_url': receiver.url + '/hook',
        'notify_token': NOTIFY_TOKEN,
        'poll_interval': 1,
        'max_polls': 150,
        'stop_after_first_closure': True,
    }
    engine = rulebook('quarantine_watch', variables, api_env(emulator))
    # The first poll is the baseline; contain the account only after it, as an incident would have.
    engine.wait_for('first poll', lambda: any(item['method'] == 'GET' for item in vendor_requests(emulator)),
                    START_WAIT)
    answer = requests.post(emulator.url + SESSIONS_PATH, timeout=10, headers={'Authorization': 'Bearer ' + EMULATOR_TOKEN},
                           json={'action': 'logout', 'domain': DOMAIN, 'user': 'user0003', 'sites': 'all'})
    assert answer.status_code == 200
    relogin = engine.wait_for('re-login', lambda: emulator.logins().get('user0003'))
    assert engine.wait_exit() == 0, engine.describe()

    assert 'user0003' not in emulator.logins()
    note = notifications(receiver)[0]
    assert (note['outcome'], note['ticket'], note['closed']) == ('contained', 'INC-7', 1)
    (session_id,) = relogin
    evidence = last_evidence(report_dir, 'INC-7-relogin-%s' % session_id)
    assert [entry['session_id'] for entry in evidence['closed']] == [session_id] * len(evidence['closed'])


def test_a_webhook_without_a_strong_token_does_not_start(emulator, rulebook, receiver, tmp_path):
    variables = containment_vars(receiver, tmp_path / 'evidence', free_port(), webhook_token='short')
    engine = rulebook('siem_containment', variables, api_env(emulator))
    assert engine.wait_exit() != 0
    assert 'webhook_token_is_required_with_16_characters_or_more' in engine.text()
    assert not webhook_ready(variables['webhook_port'])
    assert emulator.requests() == []


def test_alert_text_that_could_run_as_a_template_starts_nothing(emulator, rulebook, receiver, tmp_path):
    """Alert text reaches the playbook as extra vars, which ansible-core trusts as templates: an account name that is
    a template would run on the rulebook's host. Such an alert closes nothing and is reported; a clean one that
    follows is contained as usual."""
    report_dir = tmp_path / 'evidence'
    marker = tmp_path / 'ran'
    port = free_port()
    before = emulator.logins()
    engine = rulebook('siem_containment', containment_vars(receiver, report_dir, port), api_env(emulator))
    engine.wait_for('webhook listening', lambda: webhook_ready(port), START_WAIT)
    payload = '{{ lookup("ansible.builtin.pipe", "touch %s") }}' % marker
    header = "#jinja2:variable_start_string:'[['\n[[ lookup('ansible.builtin.pipe', 'touch %s') ]]" % marker
    hostile = [{'alert_id': 'SIEM-T1', 'severity': 'high', 'accounts': ['user0001', payload]},
               {'alert_id': payload, 'severity': 'high', 'accounts': ['user0001']},
               {'alert_id': 'SIEM-T3', 'severity': 'high', 'accounts': ['user0001'], 'domain': header}]
    for alert in hostile:
        assert post_alert(port, alert).status_code == 200
    engine.wait_for('three refusals', lambda: engine.text().count('incoplax: refused alert') == 3)
    # A "#" alone starts no template: such an alert id is contained as usual.
    assert post_alert(port, {'alert_id': 'SIEM#T4', 'severity': 'high', 'accounts': ['user0002']}).status_code == 200
    engine.wait_for('notification', lambda: notifications(receiver))
    assert post_alert(port, {'incoplax_control': 'shutdown'}).status_code == 200
    assert engine.wait_exit() == 0, engine.describe()
    assert not marker.exists()
    assert [note['ticket'] for note in notifications(receiver)] == ['SIEM#T4']
    after = emulator.logins()
    assert 'user0002' not in after and after.get('user0001') == before['user0001']
    assert [item['body']['user'] for item in vendor_requests(emulator) if item['method'] == 'POST'] == ['user0002']


def test_quarantine_refuses_a_relogin_whose_text_could_run_as_a_template(emulator, rulebook, receiver, tmp_path):
    marker = tmp_path / 'ran'
    variables = {
        'contained_accounts': ['user0003'], 'ticket': 'INC-8', 'protected_users': ['admin'], 'max_sessions': 50,
        'report_dir': str(tmp_path / 'evidence'), 'notify_url': receiver.url + '/hook', 'notify_token': NOTIFY_TOKEN,
        'poll_interval': 1, 'max_polls': 6, 'stop_after_first_closure': True,
    }
    engine = rulebook('quarantine_watch', variables, api_env(emulator))
    engine.wait_for('first poll', lambda: any(item['method'] == 'GET' for item in vendor_requests(emulator)),
                    START_WAIT)
    # A new session of the watched account, whose domain (platform text) is a template with its own delimiters.
    state = emulator.state()
    header = "#jinja2:variable_start_string:'[['\n[[ lookup('ansible.builtin.pipe', 'touch %s') ]]" % marker
    hostile = {'session_id': '6b000000-0177-99e7-5545-000000000001', 'session_type': 'http',
               'site': state['current_site'], 'domain': header, 'login': 'user0003', 'user_id': 'uid-user0003'}
    emulator.load({'current_site': state['current_site'], 'sites': state['sites'],
                   'sessions': state['sessions'] + [hostile]})
    assert engine.wait_exit() == 0, engine.describe()
    assert 'incoplax: refused to act on a re-login of a contained account' in engine.text(), engine.describe()
    assert not marker.exists()
    assert [item for item in vendor_requests(emulator) if item['method'] != 'GET'] == []
    assert notifications(receiver) == []
