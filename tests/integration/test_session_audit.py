# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Integration tests of the session_audit role and the incoplax.platform.session_audit playbook.

Real ansible-playbook against the real emulator holding an exact fixture: the reports, the findings,
read-only behaviour, check mode, idempotence and input validation.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import functools
import csv
import json
import os
import re

import pytest

from incoplax_testing import cast  # pylint: disable=import-error
from incoplax_testing.cast import (  # pylint: disable=import-error
    SESSIONS_PATH, MASTER, BRANCH, ADMIN_ID, ALICE_ID, ALICE_BRANCH_ID, BOB_ID, CAROL_ID, ALIVE, DEAD)

# The entries of this file live 36000 s unless said otherwise.
entry = functools.partial(cast.entry, ttl=36000)

ROLE = 'incoplax.platform.session_audit'
PLAYBOOK = 'incoplax.platform.session_audit'

ROOT_ID = '40070000-0176-99e7-5545-b0b0b0b0b0b0'

ADMIN_1 = '16d72c4c-0176-99e7-5545-000000000001'
ALICE_1 = '16d72c4c-0176-99e7-5545-000000000002'
ALICE_2 = '16d72c4c-0176-99e7-5545-000000000003'
ALICE_3 = '16d72c4c-0176-99e7-5545-000000000004'
BOB_WS = '16d72c4c-0176-99e7-5545-000000000005'
CAROL_1 = '16d72c4c-0176-99e7-5545-000000000006'
CAROL_2 = '16d72c4c-0176-99e7-5545-000000000007'
ROOT_1 = '16d72c4c-0176-99e7-5545-000000000008'
ALICE_BRANCH = '16d72c4c-0176-99e7-5545-000000000009'


# alice (master): 3 sessions on central and east, one listed as http and websocket -> over a limit of 2, on two sites.
# bob: one websocket session with a dead connection. carol: 2 sessions on one site -> no finding.
# admin (by login) and root (by user id, in another domain) are privileged. alice in branch.domain is another user.
FIXTURE = cast.fixture([
    entry(ADMIN_1, 'admin', user_id=ADMIN_ID),
    entry(ALICE_1, 'alice', user_id=ALICE_ID),
    entry(ALICE_1, 'alice', 'central', 'websocket', user_id=ALICE_ID, connections=[ALIVE]),
    entry(ALICE_2, 'alice', 'east', user_id=ALICE_ID),
    entry(ALICE_3, 'alice', 'east', user_id=ALICE_ID),
    entry(BOB_WS, 'bob', 'west', 'websocket', user_id=BOB_ID, connections=[ALIVE, DEAD]),
    entry(CAROL_1, 'carol', user_id=CAROL_ID),
    entry(CAROL_2, 'carol', user_id=CAROL_ID),
    entry(ROOT_1, 'root', 'west', user_id=ROOT_ID, domain=BRANCH),
    entry(ALICE_BRANCH, 'alice', 'west', user_id=ALICE_BRANCH_ID, domain=BRANCH),
])

SETTINGS = {'session_audit_max_sessions_per_user': 2, 'session_audit_privileged_users': ['admin', ROOT_ID]}

FINDINGS = {
    'users_over_limit': [
        {'domain': MASTER, 'login': 'alice', 'user_id': ALICE_ID, 'sessions': 3, 'sites': ['central', 'east']},
    ],
    'multi_site_users': [
        {'domain': MASTER, 'login': 'alice', 'user_id': ALICE_ID, 'sites': ['central', 'east']},
    ],
    'dead_websocket_connections': [
        {'session_id': BOB_WS, 'login': 'bob', 'domain': MASTER, 'site': 'west', 'conn_id': DEAD['conn_id'],
         'node': DEAD['node'], 'pid': DEAD['pid']},
    ],
    'privileged_sessions': [
        {'session_id': ROOT_1, 'session_type': 'http', 'login': 'root', 'user_id': ROOT_ID, 'domain': BRANCH, 'site': 'west'},
        {'session_id': ADMIN_1, 'session_type': 'http', 'login': 'admin', 'user_id': ADMIN_ID, 'domain': MASTER, 'site': 'central'},
    ],
    'counts': {'users_over_limit': 1, 'multi_site_users': 1, 'dead_websocket_connections': 1, 'privileged_sessions': 2,
               'sessions': 10, 'unique_sessions': 9, 'users': 6},
}

CSV_HEADER = ['session_id', 'session_type', 'login', 'user_id', 'domain', 'site', 'ttl', 'connections', 'dead_connections']
TIMESTAMP_NAME = re.compile(r'^\d{8}T\d{6}Z$')


@pytest.fixture
def api(emulator):
    """The shared emulator holding exactly FIXTURE, counters at zero."""
    emulator.load(copy.deepcopy(FIXTURE))
    assert emulator.state()['counters']['total'] == 0
    return emulator


@pytest.fixture
def run_collection_playbook(run_playbook):
    """Run ``ansible-playbook incoplax.platform.session_audit`` by name, as users do, with the harness' settings.

    Unlike a plain ``run_playbook``, no connection or interpreter is forced: the collection playbook sets them itself.
    """

    def run(extra_vars, check=False, env=None):
        return run_playbook(PLAYBOOK, extra_vars=extra_vars, check=check, local=False,
                            env=dict({'ANSIBLE_SHOW_CUSTOM_STATS': 'true'}, **(env or {})))

    return run


def connection(api):
    return {'url': api.url, 'token': api.token}


def role_play(settings, module_defaults=None):
    """A play that runs the role, then shows session_audit_result."""
    play = {
        'roles': [{'role': ROLE, 'vars': settings}],
        'tasks': [{'name': 'show the result', 'ansible.builtin.debug': {'var': 'session_audit_result'}}],
    }
    if module_defaults:
        play['module_defaults'] = {'group/incoplax.platform.ws': module_defaults}
    return play


def report_files(directory):
    return sorted(os.listdir(str(directory)))


def without_ttl(entries):
    return sorted(({key: value for key, value in entry.items() if key != 'ttl'} for entry in entries),
                  key=lambda entry: (entry['domain'], entry['session_id'], entry['session_type']))


def assert_reports(directory, name):
    """The three report files of ``name`` in ``directory`` hold FIXTURE's audit."""
    base = os.path.join(str(directory), name)
    with open(base + '.json') as handle:
        report = json.load(handle)
    assert sorted(report) == ['findings', 'generated_at', 'sessions', 'sites', 'summary']
    assert report['sites'] == 'all'
    assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', report['generated_at']), report['generated_at']
    assert without_ttl(report['sessions']) == without_ttl(FIXTURE['sessions'])
    assert report['summary'] == {'total': 10, 'unique_session_ids': 9, 'by_site': {'central': 5, 'east': 2, 'west': 3},
                                 'by_login': {'admin': 1, 'alice': 5, 'bob': 1, 'carol': 2, 'root': 1},
                                 'by_type': {'http': 8, 'websocket': 2}}
    assert report['findings'] == FINDINGS

    with open(base + '.csv', newline='') as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == CSV_HEADER
    assert len(rows) == 1 + len(FIXTURE['sessions'])
    by_key = {(row[0], row[1], row[4]): row for row in rows[1:]}
    assert by_key[(BOB_WS, 'websocket', MASTER)][7:] == ['2', '1']
    assert by_key[(ALICE_1, 'websocket', MASTER)][7:] == ['1', '0']
    assert by_key[(ROOT_1, 'http', BRANCH)][:6] == [ROOT_1, 'http', 'root', ROOT_ID, BRANCH, 'west']

    with open(base + '.md') as handle:
        markdown = handle.read()
    # A read-only audit is the same in check mode: the reports do not claim a mode (ansible_check_mode, which
    # reflects --check alone, said false under a play's check_mode).
    assert markdown.startswith('# Web session audit %s\n' % name)
    for heading in ('## Findings', '### Users over the limit', '### Users on several sites', '### Dead websocket connections',
                    '### Privileged sessions'):
        assert '\n%s' % heading in markdown, heading
    assert '| Users over the limit | 1 |' in markdown
    assert '| %s | alice | %s | 3 | central, east |' % (MASTER, ALICE_ID) in markdown
    assert '| %s | west | bob | %s | %s | %s | %s |' % (MASTER, BOB_WS, DEAD['conn_id'], DEAD['node'], DEAD['pid']) in markdown
    assert '| %s | root | %s | west | %s | http |' % (BRANCH, ROOT_ID, ROOT_1) in markdown
    return report


def assert_read_only(api, gets=1):
    counters = api.counters()
    assert counters.get('POST', 0) == 0 and counters.get('DELETE', 0) == 0, counters
    assert counters['GET'] == counters['total'] == gets, counters
    assert api.state()['session_count'] == len(FIXTURE['sessions'])


def test_collection_playbook_writes_the_reports_and_is_idempotent(api, run_collection_playbook, tmp_path):
    reports = tmp_path / 'reports'
    extra = dict(SETTINGS, session_audit_report_dir=str(reports), session_audit_report_name='weekly audit',
                 incoplax_connection=connection(api))
    first = run_collection_playbook(extra)
    assert first.rc == 0, first.describe()
    # the name is made safe for a file name
    assert report_files(reports) == ['weekly_audit.csv', 'weekly_audit.json', 'weekly_audit.md']
    assert_reports(reports, 'weekly_audit')
    requests = api.requests()
    assert [(entry['method'], entry['path'], api.sites_query(entry)) for entry in requests] == [('GET', SESSIONS_PATH, 'all')]
    assert_read_only(api)
    stats = first.task('Publish the counts for AWX workflows')['result']['ansible_stats']['data']
    assert stats == {'session_audit': FINDINGS['counts']}
    assert 'CUSTOM STATS' in first.stdout and 'session_audit' in first.stdout
    # The console summary at default verbosity.
    summary = first.task('Say what the audit found')['result']['msg']
    counts = ', '.join('%s %s' % item for item in sorted(FINDINGS['counts'].items()))
    assert summary == ['session audit of all: 10 session entries open; findings: %s' % counts,
                       'reports: %s (.json, .csv)' % (reports / 'weekly_audit.md')], summary
    assert all(line in first.stdout for line in summary)

    kept = {name: (reports / name).read_bytes() for name in report_files(reports)}
    second = run_collection_playbook(extra)
    assert second.rc == 0, second.describe()
    for run in (first, second):
        assert [task for task, status in run.statuses() if status not in ('ok', 'skipped')] == [], run.statuses()
    # A report is a record: the second audit under the same name writes new files and leaves the first ones as they were.
    assert report_files(reports) == sorted(list(kept) + ['weekly_audit-2.csv', 'weekly_audit-2.json', 'weekly_audit-2.md'])
    assert {name: (reports / name).read_bytes() for name in kept} == kept
    assert_reports(reports, 'weekly_audit-2')
    assert 'reports: %s (.json, .csv)' % (reports / 'weekly_audit-2.md') in second.task('Say what the audit found')['result']['msg']
    assert_read_only(api, gets=2)


def test_role_with_play_module_defaults_and_default_name(api, run_playbook, tmp_path):
    reports = tmp_path / 'reports'
    play = role_play(dict(SETTINGS, session_audit_report_dir=str(reports)), module_defaults=connection(api))
    run = run_playbook(play).assert_ok()
    files = report_files(reports)
    assert len(files) == 3, files
    name = files[0].rsplit('.', 1)[0]
    assert TIMESTAMP_NAME.match(name), files
    assert files == [name + '.csv', name + '.json', name + '.md']
    report = assert_reports(reports, name)
    assert name == report['generated_at'].replace('-', '').replace(':', '')
    result = run.result('show the result')['session_audit_result']
    assert result['findings'] == FINDINGS
    assert result['summary'] == report['summary']
    assert 'check_mode' not in result
    assert result['reports'] == {kind: os.path.join(str(reports), name + suffix)
                                 for kind, suffix in (('json', '.json'), ('csv', '.csv'), ('markdown', '.md'))}
    assert_read_only(api)


def test_incoplax_connection_wins_over_play_module_defaults(api, run_playbook, tmp_path, closed_port):
    reports = tmp_path / 'reports'
    wrong = {'url': 'http://127.0.0.1:%d' % closed_port, 'token': 'wrong', 'retries': 0}
    settings = dict(SETTINGS, session_audit_report_dir=str(reports), session_audit_report_name='r',
                    incoplax_connection=connection(api))
    run_playbook(role_play(settings, module_defaults=wrong)).assert_ok()
    assert_reports(reports, 'r')
    assert_read_only(api)


def test_check_mode_with_environment_connection_writes_the_reports(api, run_playbook, tmp_path):
    reports = tmp_path / 'new' / 'reports'
    settings = dict(SETTINGS, session_audit_report_dir=str(reports), session_audit_report_name='checked')
    run = run_playbook(role_play(settings), check=True, diff=True,
                       env={'INCOPLAX_URL': api.url, 'INCOPLAX_TOKEN': api.token}).assert_ok()
    assert report_files(reports) == ['checked.csv', 'checked.json', 'checked.md']
    assert_reports(reports, 'checked')
    assert 'check_mode' not in run.result('show the result')['session_audit_result']
    assert [item['task'] for item in run.results if item['status'] not in ('ok', 'skipped')] == []
    assert_read_only(api)
    assert api.token not in run.stdout + run.results_text


def test_bad_input_fails_before_any_request(api, run_playbook, tmp_path):
    a_file = tmp_path / 'not-a-directory'
    a_file.write_text('x')
    good = dict(SETTINGS, session_audit_report_dir=str(tmp_path / 'reports'), incoplax_connection=connection(api))
    cases = [
        ('limit not a number', dict(good, session_audit_max_sessions_per_user='x'), 'session_audit_max_sessions_per_user'),
        ('negative limit', dict(good, session_audit_max_sessions_per_user=-1), 'session_audit_max_sessions_per_user'),
        ('missing report dir', {key: value for key, value in good.items() if key != 'session_audit_report_dir'},
         'session_audit_report_dir'),
        ('report dir is a file', dict(good, session_audit_report_dir=str(a_file)), 'is not a directory'),
        ('privileged users not a list', dict(good, session_audit_privileged_users={'admin': True}), 'session_audit_privileged_users'),
        ('empty privileged name', dict(good, session_audit_privileged_users=['admin', ' ']), 'session_audit_privileged_users'),
        ('nested privileged list', dict(good, session_audit_privileged_users=[['admin', 'root']]),
         'session_audit_privileged_users: element 1 is a list (admin, root)'),
        # ansible-core before 2.19 refuses it in its own role argument check, with its own words.
        ('null privileged name', dict(good, session_audit_privileged_users=['admin', None]),
         ('session_audit_privileged_users: element 2 is null',
          "Elements value for option 'session_audit_privileged_users' is of type <class 'NoneType'>")),
        ('unknown connection option', dict(good, incoplax_connection=dict(connection(api), proxy='x')), 'proxy'),
        ('connection timeout not a number', dict(good, incoplax_connection=dict(connection(api), timeout='soon')), 'timeout'),
        ('sites a number', dict(good, session_audit_sites=5), 'sites'),
        ('sites an empty list', dict(good, session_audit_sites=[]), 'sites'),
        ('sites with an empty name', dict(good, session_audit_sites=['east', '']), 'sites'),
    ]
    tasks = []
    for name, settings, _expected in cases:
        tasks.append({
            'name': 'case %s' % name,
            'block': [{'name': 'run %s' % name, 'ansible.builtin.include_role': {'name': ROLE}, 'vars': settings}],
            'rescue': [{'name': 'failed %s' % name,
                        'ansible.builtin.debug': {'msg': '{{ ansible_failed_task.name }}: {{ ansible_failed_result.msg }}'}}],
        })
    run = run_playbook(tasks)
    assert run.rc == 0, run.describe()
    for name, _settings, expected in cases:
        msg = run.result('failed %s' % name)['msg']
        assert any(words in msg for words in ((expected,) if isinstance(expected, str) else expected)), (name, msg)
        # The module checks the sites scope itself, before its request; the role checks the rest before listing.
        assert msg.startswith('List the open web sessions') == name.startswith('sites'), (name, msg)
    assert 'is of type' in run.result('failed limit not a number')['msg']
    assert 'missing required arguments' in run.result('failed missing report dir')['msg']
    assert api.counters()['total'] == 0, api.counters()
    assert api.requests() == []
    assert not (tmp_path / 'reports').exists()
