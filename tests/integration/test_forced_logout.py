# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Integration tests of the incoplax.platform.forced_logout role and playbook: real ansible-playbook, real emulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import os
import re
import stat

import pytest
import yaml

from ansible_collections.incoplax.platform.plugins.plugin_utils._forced_logout import ENTRY_LISTS
from incoplax_testing.cast import entry as session_entry  # pylint: disable=import-error
from incoplax_testing.emulator import holding_exactly  # pylint: disable=import-error
from incoplax_testing.playbook import show_facts  # pylint: disable=import-error
from incoplax_testing.cast import (  # pylint: disable=import-error
    SESSIONS_PATH, MASTER, BRANCH, ADMIN_ID, ALICE_ID, ALICE_BRANCH_ID, BOB_ID, CAROL_ID, GUARD_ID)


ROLE = 'incoplax.platform.forced_logout'
PLAYBOOK = 'incoplax.platform.forced_logout'
RECORD_TASK = 'Close every session of the targets, verify and record'
# The only credential of the fixture: it maps to admin, whose own session is ADMIN_OWN.
TOKEN = 'forced-logout-T0ken-5e1d2a7c93f0'

DAVE_ID = 'da4e0000-0177-99e7-5545-e0d55e0cd303'

# ADMIN_OWN (the caller's own session) and ALICE_1 are each listed twice: http and websocket.
ADMIN_OWN = '26d72c4c-0177-99e7-5545-000000000001'
ADMIN_2 = '26d72c4c-0177-99e7-5545-000000000002'
ALICE_1 = '26d72c4c-0177-99e7-5545-000000000003'
ALICE_2 = '26d72c4c-0177-99e7-5545-000000000004'
ALICE_3 = '26d72c4c-0177-99e7-5545-000000000005'
BOB_1 = '26d72c4c-0177-99e7-5545-000000000006'
BOB_WS = '26d72c4c-0177-99e7-5545-000000000007'
CAROL_1 = '26d72c4c-0177-99e7-5545-000000000008'
CAROL_2 = '26d72c4c-0177-99e7-5545-000000000009'
GUARD_1 = '26d72c4c-0177-99e7-5545-000000000010'
GUARD_2 = '26d72c4c-0177-99e7-5545-000000000011'
DAVE_1 = '26d72c4c-0177-99e7-5545-000000000012'
ALICE_BRANCH = '26d72c4c-0177-99e7-5545-000000000013'

ALIVE = {'conn_id': '6476d54a-0177-9a16-92a0-e0d55e0cd301', 'is_pid_alive': True, 'node': 'ws1@192.168.0.32', 'pid': '<0.11647.54>'}

RESULT_KEYS = ['already_gone', 'before', 'caller', 'check_mode', 'closed', 'counts', 'domain', 'failed_targets', 'failure',
               'finished_at', 'mode', 'not_open', 'operator', 'outcome', 'passes', 'platform', 'protected_users', 'remaining',
               'sites', 'spared', 'started_at', 'ticket', 'unverified', 'users', 'versions']
COUNT_KEYS = ['already_gone', 'before', 'by_site', 'closed', 'closed_by_sweeps', 'entries', 'failed_targets', 'not_open',
              'remaining', 'spared', 'users']
# <name>.<UTC time>[-n].<ext>: every run writes new files.
EVIDENCE_FILE = re.compile(r'^(?P<name>.+)\.(?P<stamp>\d{8}T\d{6}Z)(?:-\d+)?\.(?P<ext>json|md|plan\.json)$')
UTC_TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
UTC_NAME = re.compile(r'^\d{8}T\d{6}Z$')
RECAP_LINE = re.compile(r'^(\S+)\s+:\s+(ok=.*)$')
RECAP_COUNT = re.compile(r'(\w+)=(\d+)')


SESSIONS = [
    session_entry(ADMIN_OWN, 'admin', user_id=ADMIN_ID),
    session_entry(ADMIN_OWN, 'admin', 'central', 'websocket', user_id=ADMIN_ID, connections=[ALIVE]),
    session_entry(ADMIN_2, 'admin', 'east', user_id=ADMIN_ID),
    session_entry(ALICE_1, 'alice', user_id=ALICE_ID),
    session_entry(ALICE_1, 'alice', 'central', 'websocket', user_id=ALICE_ID, connections=[ALIVE]),
    session_entry(ALICE_2, 'alice', 'east', user_id=ALICE_ID),
    session_entry(ALICE_3, 'alice', 'west', user_id=ALICE_ID),
    session_entry(BOB_1, 'bob', user_id=BOB_ID),
    session_entry(BOB_WS, 'bob', 'west', 'websocket', user_id=BOB_ID, connections=[ALIVE]),
    session_entry(CAROL_1, 'carol', 'east', user_id=CAROL_ID),
    session_entry(CAROL_2, 'carol', 'west', user_id=CAROL_ID),
    session_entry(GUARD_1, 'guard', user_id=GUARD_ID),
    session_entry(GUARD_2, 'guard', 'west', user_id=GUARD_ID),
    session_entry(DAVE_1, 'dave', user_id=DAVE_ID),
    session_entry(ALICE_BRANCH, 'alice', user_id=ALICE_BRANCH_ID, domain=BRANCH),
]

FIXTURE = {
    'current_site': 'central',
    'sites': ['central', 'east', 'west'],
    'credentials': {'tokens': {TOKEN: {'login': 'admin', 'user_id': ADMIN_ID, 'domain': MASTER, 'session_id': ADMIN_OWN}}},
    'sessions': SESSIONS,
}

ALL_KEYS = sorted((entry['session_id'], entry['session_type']) for entry in SESSIONS)


def of(*session_ids):
    """Keys (session_id, session_type) of every fixture entry with one of these ids."""
    return sorted(key for key in ALL_KEYS if key[0] in session_ids)


ALICE = of(ALICE_1, ALICE_2, ALICE_3)
BOB = of(BOB_1, BOB_WS)
CAROL = of(CAROL_1, CAROL_2)


def keys(entries):
    return sorted((entry['session_id'], entry['session_type']) for entry in entries)


def without(keys_, removed):
    return sorted(set(keys_) - set(removed))


@pytest.fixture
def api(emulator):
    """The shared emulator holding exactly FIXTURE (its token mapped to admin / ADMIN_OWN), no faults."""
    return holding_exactly(emulator, FIXTURE, ADMIN_OWN)


def connection(api, token=TOKEN, retries=0):
    return {'url': api.url, 'token': token, 'retries': retries}


def role_vars(api, users, **overrides):
    """Role variables: the users in MASTER, incoplax_connection to ``api`` (None drops a variable)."""
    values = {'forced_logout_users': users, 'forced_logout_domain': MASTER,
              'incoplax_connection': connection(api) if api is not None else None}
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


SHOW_FACTS = show_facts('forced_logout_result', 'forced_logout_evidence_files')


def role_play(api, users, **overrides):
    """One play applying the role, then showing the facts it leaves, also when it failed."""
    return {
        'name': 'forced logout', 'hosts': 'localhost', 'gather_facts': False,
        'tasks': [{'name': 'forced logout', 'block': [{'name': 'Apply the role', 'ansible.builtin.import_role': {'name': ROLE},
                                                       'vars': role_vars(api, users, **overrides)}],
                   'always': SHOW_FACTS}],
    }


def attempt(case, api, users, **overrides):
    """A block running the role through include_role, rescued so that the next case runs too."""
    return {
        'name': case,
        'block': [{'name': 'Run the role - ' + case, 'ansible.builtin.include_role': {'name': ROLE},
                   'vars': role_vars(api, users, **overrides)}],
        'rescue': [{'name': 'Refused - ' + case, 'ansible.builtin.debug': {
            'msg': {'task': '{{ ansible_failed_task.name }}', 'error': '{{ ansible_failed_result.msg | default("") }}'}}}],
        'always': SHOW_FACTS,
    }


def published(run, host='localhost'):
    """The data the role gave set_stats (once per play, on its first host) for a run on ``host``."""
    found = [item for item in run.results if item['host'] == host and 'ansible_stats' in item['result']]
    assert found, run.describe()
    stats = found[0]['result']['ansible_stats']
    assert sorted(stats['data']) == ['forced_logout']
    return stats['data']['forced_logout']


def recap(run):
    """{host: {'ok': n, 'changed': n, 'unreachable': n, 'failed': n, ...}} from the PLAY RECAP."""
    found = {}
    for line in run.stdout.split('PLAY RECAP', 1)[-1].splitlines():
        match = RECAP_LINE.match(line)
        if match:
            found[match.group(1)] = {key: int(value) for key, value in RECAP_COUNT.findall(match.group(2))}
    return found


def assert_published(run, result, host='localhost'):
    """set_stats got the counts, ticket, check_mode and ok of ``result`` (documented keys; the role may add more)."""
    stats = published(run, host)
    ok = result['failure'] is None and result['counts']['remaining'] == 0
    expected = dict(result['counts'], ticket=result['ticket'], check_mode=result['check_mode'], ok=ok)
    assert {key: stats.get(key) for key in expected} == expected, stats
    return stats


def custom_stats(run):
    """The custom stats of the whole run, as AWX gets them (printed with ANSIBLE_SHOW_CUSTOM_STATS=1)."""
    lines = [line for line in run.stdout.split('CUSTOM STATS:', 1)[-1].splitlines() if line.strip().startswith('RUN:')]
    assert len(lines) == 1, run.describe()
    return json.loads(lines[0].split('RUN:', 1)[1])


def last_result(run, host='localhost'):
    return [item for item in run.results if item['host'] == host][-1]


def changed_actions(run):
    return [item['action'] for item in run.results if item['status'] == 'changed']


def posts(api):
    return [entry for entry in api.requests() if entry['method'] == 'POST']


def assert_posts(api, users, sites='all', domain=MASTER, refused=()):
    """Exactly one logout POST per user, each answered 200 (500 for the ``refused`` ones), and no DELETE."""
    found = posts(api)
    assert sorted(entry['body']['user'] for entry in found) == sorted(users)
    for entry in found:
        assert entry['path'] == SESSIONS_PATH, entry
        assert entry['status'] == (500 if entry['body']['user'] in refused else 200), entry
        assert entry['body'] == {'action': 'logout', 'domain': domain, 'user': entry['body']['user'], 'sites': sites}
    assert not [entry for entry in api.requests() if entry['method'] == 'DELETE']


def assert_result_shape(result):
    """Every documented key is there (the role may add more)."""
    assert set(RESULT_KEYS) <= set(result), sorted(result)
    assert set(COUNT_KEYS) <= set(result['counts']), sorted(result['counts'])
    assert UTC_TIME.match(result['started_at']) and UTC_TIME.match(result['finished_at']), result
    assert result['started_at'] <= result['finished_at']


def counts_row(counts):
    """The counts row of the Markdown evidence ('unknown' for a count that is not known)."""
    return '| %s |' % ' | '.join('unknown' if counts[key] is None else str(counts[key]) for key in (
        'before', 'closed', 'entries', 'closed_by_sweeps', 'already_gone', 'spared', 'remaining', 'not_open',
        'failed_targets'))


def ledger_records(report_dir, name):
    """The records of the ledger ``<name>.ledger.jsonl``, oldest first."""
    path = report_dir / (name + '.ledger.jsonl')
    assert path.is_file(), sorted(p.name for p in report_dir.iterdir())
    return [json.loads(line) for line in path.read_text().splitlines()]


def evidence(report_dir, name, index=-1):
    """The JSON evidence (parsed) and the Markdown evidence (text) of run ``index`` of ``name``, from its ledger."""
    files = ledger_records(report_dir, name)[index]['files']
    json_path = report_dir / files['json']['name']
    md_path = report_dir / files['markdown']['name']
    for path in (json_path, md_path):
        match = EVIDENCE_FILE.match(path.name)
        assert match and match.group('name') == name, path.name
    assert json_path.name[:-len('.json')] == md_path.name[:-len('.md')]
    return json.loads(json_path.read_text()), md_path.read_text()


def assert_evidence(run, report_dir, name, ticket, host='localhost', result=None):
    """This run's new files of ``name`` hold the fact (``result`` when no task of the run shows it) and a summary with
    the ticket and counts; the ledger lists them."""
    result = run.fact('forced_logout_result', host) if result is None else result
    data, markdown = evidence(report_dir, name)
    records = ledger_records(report_dir, name)
    last = records[-1]
    files = shown_fact(run, 'forced_logout_evidence_files', host)
    if files is not None:
        assert files == {'json': str(report_dir / last['files']['json']['name']),
                         'markdown': str(report_dir / last['files']['markdown']['name']),
                         'ledger': str(report_dir / (name + '.ledger.jsonl')),
                         'ledger_run': len(records), 'ledger_record_sha256': files['ledger_record_sha256']}
    assert last['run'] == len(records) and last['ticket'] == ticket and last['outcome'] == result['outcome']
    assert data == result
    assert TOKEN not in json.dumps(data) and TOKEN not in markdown
    if ticket:
        assert '| Ticket | %s |' % ticket in markdown and markdown.startswith('# Forced logout - %s' % ticket)
    assert counts_row(result['counts']) in markdown, markdown
    for path in (report_dir / last['files']['json']['name'], report_dir / last['files']['markdown']['name'],
                 report_dir / (name + '.ledger.jsonl')):
        assert mode_of(path) == 0o640, path
    assert mode_of(report_dir) == 0o750
    return data, markdown


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def summary_text(run, host='localhost'):
    """The console summary the role printed at default verbosity for ``host``."""
    found = [item['result']['msg'] for item in run.results
             if item['host'] == host and item['task'].endswith('Say what happened')]
    assert found, run.describe()
    for line in found[-1]:
        assert line in run.stdout, line
    return found[-1]


def test_normal_run_then_second_run_changes_nothing(api, run_playbook, tmp_path):
    report_dir = tmp_path / 'evidence'
    play = role_play(api, [' alice', BOB_ID, 'carol '], forced_logout_protected_users='guard, \n',
                     forced_logout_ticket='INC-1001', forced_logout_report_dir=str(report_dir))
    # incoplax_connection alone: no INCOPLAX_* variable in the environment.
    no_env = {'INCOPLAX_URL': None, 'INCOPLAX_TOKEN': None}
    run = run_playbook(play, env=no_env).assert_ok()
    state = api.state()
    targets = ALICE + BOB + CAROL
    # Every target session is closed on every site; nobody else's is touched (guard, dave, admin, alice of BRANCH).
    assert keys(state['sessions']) == without(ALL_KEYS, targets)
    # The names were trimmed before anything was sent.
    assert_posts(api, ['alice', BOB_ID, 'carol'])
    assert state['counters']['DELETE'] == 0
    # Only the one bulk close reports a change; the evidence never does.
    assert changed_actions(run) == ['incoplax.platform.forced_logout_run']

    result = run.fact('forced_logout_result')
    assert result == run.fact('forced_logout_result')
    assert_result_shape(result)
    assert result['users'] == ['alice', BOB_ID, 'carol']
    assert (result['domain'], result['sites'], result['ticket']) == (MASTER, 'all', 'INC-1001')
    assert (result['check_mode'], result['passes'], result['failure'], result['outcome']) == (False, 1, None, 'contained')
    assert result['protected_users'] == ['guard']
    assert keys(result['before']) == targets and keys(result['closed']) == targets
    assert result['spared'] == [] and result['remaining'] == [] and result['failed_targets'] == []
    assert result['not_open'] == [] and result['already_gone'] == []
    assert {entry['login'] for entry in result['closed']} == {'alice', 'bob', 'carol'}
    assert {entry['domain'] for entry in result['closed']} == {MASTER}
    # 7 sessions, 8 API entries: ALICE_1 is listed as http and websocket.
    assert result['counts'] == {'users': 3, 'before': 7, 'closed': 7, 'entries': 8, 'closed_by_sweeps': 0,
                                'already_gone': 0, 'spared': 0, 'remaining': 0, 'not_open': 0, 'failed_targets': 0,
                                'by_site': {'central': 2, 'east': 2, 'west': 3}}
    # Who, where and what: the platform URL, the operator and the versions.
    assert result['platform'] == api.url and result['operator']['user']
    assert result['versions']['collection'] and result['versions']['ansible_core']
    assert assert_published(run, result)['ok'] is True
    _data, markdown = assert_evidence(run, report_dir, 'INC-1001', 'INC-1001')
    assert '7 session(s) closed (8 API entries: an id listed as http and websocket is one session' in markdown
    assert '| Platform | %s |' % api.url in markdown and '| Result | contained |' in markdown
    summary = summary_text(run)
    assert summary[0] == 'forced logout INC-1001: contained'
    # The verification finding no open session of the targets is what success looks like, never a typo warning.
    assert 'no open session found' not in run.stdout + run.stderr, run.describe()
    files = run.fact('forced_logout_evidence_files')
    assert 'evidence: %s and %s' % (files['json'], files['markdown']) in summary
    assert 'ledger: %s (run 1, record SHA-256 %s)' % (files['ledger'], files['ledger_record_sha256']) in summary

    # Second run: nothing left to close, no POST or DELETE, changed nowhere.
    before_counters = api.counters()
    again = run_playbook(play, env=no_env).assert_ok()
    after_counters = api.counters()
    assert after_counters['POST'] == before_counters['POST'] == 3
    assert after_counters['DELETE'] == 0
    assert changed_actions(again) == []
    assert keys(api.state()['sessions']) == without(ALL_KEYS, targets)
    second = again.fact('forced_logout_result')
    assert second['before'] == second['closed'] == second['remaining'] == [] and second['failure'] is None
    assert second['counts']['closed'] == second['counts']['before'] == 0
    # Every target had no open session: contained, and they are named next to it, in the result and on the console.
    assert sorted(second['not_open']) == sorted(['alice', BOB_ID, 'carol']) and second['outcome'] == 'contained'
    assert summary_text(again)[0].startswith('forced logout INC-1001: contained (no open session found for ')
    assert '[WARNING]: forced_logout: no open session found for ' in again.stdout + again.stderr
    warned = [line for line in (again.stdout + again.stderr).splitlines() if 'WARNING' in line and 'no open session' in line]
    assert len(warned) == 1, again.describe()
    assert published(again)['ok'] is True
    _data, markdown = assert_evidence(again, report_dir, 'INC-1001', 'INC-1001')
    assert '## No open session found' in markdown

    # Both runs are kept: two sets of files, and a ledger of two records, oldest first, chained.
    names = sorted(p.name for p in report_dir.iterdir())
    assert len(names) == 5 and 'INC-1001.ledger.jsonl' in names, names
    records = ledger_records(report_dir, 'INC-1001')
    assert [record['run'] for record in records] == [1, 2]
    assert [record['counts']['closed'] for record in records] == [7, 0]
    assert records[0]['previous_sha256'] is None and len(records[1]['previous_sha256']) == 64
    assert evidence(report_dir, 'INC-1001', 0)[0] == result
    assert evidence(report_dir, 'INC-1001', 1)[0] == second

    # The documented check says the ledger is intact, then finds an edited record.
    ledger = report_dir / 'INC-1001.ledger.jsonl'
    last = again.fact('forced_logout_evidence_files')['ledger_record_sha256']
    check = run_playbook('incoplax.platform.verify_ledger', extra_vars={'ledger': str(ledger), 'last_sha256': last}).assert_ok()
    assert 'INC-1001.ledger.jsonl: 2 record(s), intact, last record SHA-256 %s' % last in check.stdout
    lines = ledger.read_text().splitlines()
    ledger.write_text('\n'.join([lines[0].replace('"closed":7', '"closed":6'), lines[1]]) + '\n')
    tampered = run_playbook('incoplax.platform.verify_ledger', extra_vars={'ledger': str(ledger)})
    assert tampered.rc != 0, tampered.describe()
    assert 'NOT INTACT at line 2: previous_sha256 does not match the record before it' in tampered.stdout


def strings_in(value):
    """Every string held in ``value``, however deep."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def test_platform_text_in_the_result_never_runs_as_a_template(emulator, run_playbook, tmp_path):
    """Text an attacker controls (here the node and pid of a websocket connection) stays text when later tasks
    template the result: whatever would start a template (braces, a #jinja2: header choosing its own delimiters,
    the delimiters a template lookup chooses). Before ansible-core 2.19 the role sets the facts from a vars file,
    which ansible-core trusts as a template unless marked."""
    marker = tmp_path / 'ran'
    payloads = ['{{ lookup("ansible.builtin.pipe", "touch %s-braces") }}' % marker,
                "#jinja2:variable_start_string:'[[', variable_end_string:']]'\n[[ lookup('ansible.builtin.pipe', "
                "'touch %s-header') ]]" % marker,
                "[[ lookup('ansible.builtin.pipe', 'touch %s-custom') ]]" % marker,
                '<0.1.2>{{ lookup("ansible.builtin.pipe", "touch %s-pid") }}' % marker]
    hostile = [dict(ALIVE, node=payload, pid=payload) for payload in payloads]
    fixture = dict(FIXTURE, sessions=FIXTURE['sessions'] + [
        session_entry('6a000000-0177-99e7-5545-000000000001', 'mallory', 'central', 'websocket', user_id=DAVE_ID[:-1] + '9',
                      connections=hostile)])
    api = holding_exactly(emulator, fixture, ADMIN_OWN)
    (tmp_path / 'entries.j2').write_text('[[ forced_logout_result.closed | map(attribute="connections") | list ]]')
    play = role_play(api, ['mallory'])
    play['tasks'] += [
        {'name': 'Template the entries', 'ansible.builtin.debug': {'msg': '{{ forced_logout_result.closed }}'}},
        {'name': 'Template them with other delimiters', 'ansible.builtin.debug': {
            'msg': "{{ lookup('ansible.builtin.template', '%s', variable_start_string='[[', "
                   "variable_end_string=']]') }}" % (tmp_path / 'entries.j2')}},
        {'name': 'Keep one', 'ansible.builtin.set_fact': {'kept': '{{ forced_logout_result.closed | first }}'}},
        {'name': 'Template what was kept', 'ansible.builtin.debug': {'msg': '{{ kept.connections }}'}},
    ]
    run = run_playbook([play]).assert_ok()
    closed = run.fact('forced_logout_result')['closed']
    assert [connection['node'] for connection in closed[0]['connections']] == payloads
    for name in ('Template the entries', 'Template what was kept'):
        shown = run.result(name)['msg']
        assert set(payloads) <= set(strings_in(shown)), (name, shown)
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith('ran')) == []


def test_guards_refuse_before_closing_anything(api, run_playbook, tmp_path):
    report_dir = tmp_path / 'evidence'
    cases = [
        # (case, users, extra variables, what the failure names, the target entries still open)
        ('login targeted, id protected', ['alice', 'carol'], {'forced_logout_protected_users': [ALICE_ID]}, 'protected_users',
         ALICE + CAROL),
        ('id targeted, login protected', [ALICE_ID, 'carol'], {'forced_logout_protected_users': ' alice '}, 'protected_users',
         ALICE + CAROL),
        ('more sessions than allowed', ['alice', 'bob'], {'forced_logout_max_sessions': 4}, 'max_sessions', ALICE + BOB),
        ('max_sessions 0 refuses any', ['carol'], {'forced_logout_max_sessions': 0}, 'max_sessions', CAROL),
    ]
    tasks = [attempt(case, api, users, forced_logout_ticket='INC-G%d' % index, forced_logout_report_dir=str(report_dir), **extra)
             for index, (case, users, extra, _word, _open) in enumerate(cases)]
    run = run_playbook(tasks).assert_ok()
    counters = api.counters()
    assert counters['POST'] == counters['DELETE'] == 0
    assert keys(api.state()['sessions']) == ALL_KEYS
    for index, (case, _users, _extra, word, still_open) in enumerate(cases):
        refused = run.result('Refused - ' + case)['msg']
        # The evidence is written, then the role fails saying what and where the evidence is.
        data, markdown = evidence(report_dir, 'INC-G%d' % index)
        assert word in data['failure'] and 'nothing was closed' in data['failure'], data['failure']
        assert data['closed'] == [] and data['counts']['closed'] == 0 and data['outcome'] == 'failed', data
        assert data['ticket'] == 'INC-G%d' % index and data['check_mode'] is False
        assert 'FAILED: ' in markdown and counts_row(data['counts']) in markdown
        assert word in refused['error'] and 'INC-G%d.' % index in refused['error'], refused
        # The guard refuses after the listing: what was open, and is still open, is known (needs the new module:
        # a guard refusal carries the listing in remaining).
        assert keys(data['remaining']) == still_open and keys(data['before']) == still_open, (case, data)
        assert data['counts']['remaining'] == len({key[0] for key in still_open}), data['counts']
    # alice has 3 sessions (4 entries), bob 2.
    assert '5 sessions would be closed, more than max_sessions=4' in evidence(report_dir, 'INC-G2')[0]['failure']


def test_unknown_is_not_zero_when_no_listing_succeeded(api, run_playbook, tmp_path, closed_port):
    report_dir = tmp_path / 'evidence'
    cases = [
        ('connection refused', {'incoplax_connection': {'url': 'http://127.0.0.1:%d' % closed_port, 'token': TOKEN, 'retries': 0}},
         'cannot reach'),
        ('wrong token', {'incoplax_connection': connection(api, token='not-the-token')}, '401'),
    ]
    tasks = [attempt(case, api, ['alice'], forced_logout_ticket='INC-U%d' % index, forced_logout_report_dir=str(report_dir),
                     **extra) for index, (case, extra, _word) in enumerate(cases)]
    run = run_playbook(tasks).assert_ok()
    assert api.counters().get('POST', 0) == api.counters().get('DELETE', 0) == 0
    for index, (case, _extra, word) in enumerate(cases):
        data, markdown = evidence(report_dir, 'INC-U%d' % index)
        assert word in data['failure'], (case, data['failure'])
        assert data['before'] is None and data['remaining'] is None, data
        assert data['counts']['before'] is None and data['counts']['remaining'] is None
        assert data['outcome'] == 'failed' and data['closed'] == []
        assert 'open before: unknown; still open: unknown.' in markdown
        assert '## Still open\n\nunknown: no listing of the sessions succeeded.' in markdown
        assert '| unknown | 0 | 0 | 0 | 0 | 0 | unknown |' in markdown
        assert 'Still open: unknown target session(s)' in run.result('Refused - ' + case)['msg']['error']


def test_bad_input_fails_before_any_request(api, run_playbook, tmp_path):
    report_dir = tmp_path / 'evidence'
    cases = [
        # (case, users, extra variables, what the error says)
        ('users missing', None, {}, 'forced_logout_users'),
        ('users empty', [], {}, 'forced_logout_users'),
        ('users only separators', ' , ;\n', {}, 'forced_logout_users: give at least one login or user id'),
        ('no pass', ['alice'], {'forced_logout_sweeps': 0}, 'forced_logout_sweeps'),
        # The module refuses this one before any request, and the role records the refusal (elsewhere: no evidence here).
        ('sites is a number', ['alice'], {'forced_logout_sites': 5, 'forced_logout_report_dir': ''}, 'sites'),
        # Issue 12: ["{{ users }}"] gives a nested list, which once became the user "['alice', 'mallory']".
        ('nested list', [['alice', 'mallory']], {}, 'forced_logout_users: element 1 is a list (alice, mallory), not a name'),
        # ansible-core before 2.19 refuses this one in the argument spec, naming the variable too.
        ('null element', ['alice', None], {}, ('forced_logout_users: element 2 is null',
                                               "Elements value for option 'forced_logout_users' is of type <class 'NoneType'>")),
        ('number element', [42], {}, 'forced_logout_users: element 1 is a number (42)'),
        ('dict element', [{'login': 'alice'}], {}, 'forced_logout_users: element 1 is a dict'),
        ('empty element', ['alice', '  '], {}, 'forced_logout_users: element 2 is empty'),
        ('nested protected', ['alice'], {'forced_logout_protected_users': [['guard']]},
         'forced_logout_protected_users: element 1 is a list (guard)'),
        ('protected a dict', ['alice'], {'forced_logout_protected_users': {'guard': True}},
         "argument 'forced_logout_protected_users' is of type "),
        ('max_sessions negative', ['alice'], {'forced_logout_max_sessions': -1}, 'forced_logout_max_sessions'),
    ]
    run = run_playbook([attempt(case, api, users, **dict({'forced_logout_report_dir': str(report_dir)}, **extra))
                        for case, users, extra, _word in cases]).assert_ok()
    for case, _users, _extra, words in cases:
        refused = run.result('Refused - ' + case)['msg']
        assert any(word in refused['error'] for word in ((words,) if isinstance(words, str) else words)), (case, refused)
    assert 'not ["{{ other_list }}"]' in run.result('Refused - nested list')['msg']['error']
    assert run.result('Refused - users missing')['msg']['task'].startswith('Validating arguments against arg spec')
    # Not one request reached the platform, and nothing was recorded as if it had run.
    assert api.counters()['total'] == 0
    assert keys(api.state()['sessions']) == ALL_KEYS
    assert not report_dir.exists()


def test_sweeps_close_a_session_that_came_back(api, run_playbook, tmp_path):
    api.set_faults({'relogin_after': 1.0, 'relogin_users': ['alice']})
    report_dir = tmp_path / 'evidence'
    play = role_play(api, ['alice', 'bob'], forced_logout_sweeps=2, forced_logout_sweep_interval=2,
                     forced_logout_ticket='INC-SWEEP', forced_logout_report_dir=str(report_dir))
    run = run_playbook(play).assert_ok()
    state = api.state()
    # Nothing of the targets is open at the end, the re-login included; the others are untouched.
    assert [entry for entry in state['sessions'] if entry['login'] in ('alice', 'bob') and entry['domain'] == MASTER] == []
    assert keys(state['sessions']) == without(ALL_KEYS, ALICE + BOB)
    # Pass 1 logged out alice and bob, pass 2 logged out alice again.
    assert sorted(entry['body']['user'] for entry in posts(api)) == ['alice', 'alice', 'bob']
    assert state['counters']['DELETE'] == 0
    result = run.fact('forced_logout_result')
    assert_result_shape(result)
    came_back = [entry for entry in result['closed'] if (entry['session_id'], entry['session_type']) not in ALL_KEYS]
    assert len(came_back) == 1, result['closed']
    assert (came_back[0]['login'], came_back[0]['user_id'], came_back[0]['session_type']) == ('alice', ALICE_ID, 'http')
    assert keys(result['before']) == ALICE + BOB
    assert keys(result['closed']) == sorted(ALICE + BOB + keys(came_back))
    assert result['passes'] == 2 and result['remaining'] == [] and result['failure'] is None
    assert result['counts']['closed_by_sweeps'] >= 1
    assert result['counts']['closed'] == 5 + result['counts']['closed_by_sweeps']
    assert assert_published(run, result)['closed_by_sweeps'] >= 1
    assert_evidence(run, report_dir, 'INC-SWEEP', 'INC-SWEEP')


def dry_run_ways(api, report_dir):
    """One play per way of asking for check mode other than --check, each with its own ticket."""
    role_vars_ = dict(role_vars(api, ['alice', 'bob']), forced_logout_report_dir=str(report_dir), forced_logout_sweeps=2,
                      forced_logout_sweep_interval=0)

    def with_ticket(ticket):
        return dict(role_vars_, forced_logout_ticket=ticket)

    include = {'ansible.builtin.include_role': {'name': ROLE}}
    plays = [
        {'name': 'check mode on the play', 'hosts': 'localhost', 'gather_facts': False, 'check_mode': True,
         'roles': [{'role': ROLE, 'vars': with_ticket('DRY-PLAY')}]},
        {'name': 'check mode on a block', 'hosts': 'localhost', 'gather_facts': False,
         'tasks': [{'name': 'a block', 'check_mode': True, 'block': [dict(include, name='in the block', vars=with_ticket('DRY-BLOCK'))]}]},
        {'name': 'check mode on import_role', 'hosts': 'localhost', 'gather_facts': False,
         'tasks': [{'name': 'import', 'ansible.builtin.import_role': {'name': ROLE}, 'check_mode': True,
                    'vars': with_ticket('DRY-IMPORT')}]},
        {'name': 'check mode through include_role apply', 'hosts': 'localhost', 'gather_facts': False,
         'tasks': [{'name': 'include', 'ansible.builtin.include_role': {'name': ROLE, 'apply': {'check_mode': True}},
                    'vars': with_ticket('DRY-APPLY')}]},
        {'name': 'plan mode', 'hosts': 'localhost', 'gather_facts': False,
         'roles': [{'role': ROLE, 'vars': dict(with_ticket('DRY-PLAN'), forced_logout_mode='plan')}]},
    ]
    return [dict(play, post_tasks=SHOW_FACTS + (show_facts('forced_logout_plan') if play['name'] == 'plan mode' else []))
            for play in plays]


def test_a_dry_run_never_acts_however_it_is_asked_for(api, run_playbook, tmp_path):
    report_dir = tmp_path / 'evidence'
    run = run_playbook(dry_run_ways(api, report_dir)).assert_ok()
    # No POST and no DELETE from any task of the role, in any of the five ways.
    assert {entry['method'] for entry in api.requests()} == {'GET'}, api.requests()
    assert keys(api.state()['sessions']) == ALL_KEYS
    results = {item['result']['forced_logout_result']['ticket']: item['result']['forced_logout_result']
               for item in run.tasks('Show forced_logout_result')}
    assert sorted(results) == ['DRY-APPLY', 'DRY-BLOCK', 'DRY-IMPORT', 'DRY-PLAN', 'DRY-PLAY']
    summaries = [item['result']['msg'][0] for item in run.tasks('Say what happened')]
    for ticket, result in results.items():
        # The evidence says it was a dry run, and what would have been closed.
        assert (result['check_mode'], result['outcome'], result['passes']) == (True, 'dry_run', 1), ticket
        assert keys(result['closed']) == keys(result['before']) == ALICE + BOB, ticket
        assert result['counts']['closed_by_sweeps'] == 0 and result['remaining'] == []
        data, markdown = evidence(report_dir, ticket)
        assert data == result
        assert markdown.startswith('# Forced logout - %s (dry run: nothing was closed)' % ticket), markdown
        assert '| Result | dry run: nothing was closed |' in markdown
        assert 'forced logout %s: dry run: nothing was closed' % ticket in summaries
    # Plan mode also leaves its plan, next to the evidence and listed in the ledger.
    plan_record = ledger_records(report_dir, 'DRY-PLAN')[-1]
    plan = json.loads((report_dir / plan_record['files']['plan']['name']).read_text())
    assert plan == run.fact('forced_logout_plan') and plan['session_count'] == 5 and plan['max_sessions'] is None


def test_check_mode_closes_nothing_and_names_evidence_by_time(api, run_playbook, tmp_path):
    report_dir = tmp_path / 'evidence'
    # Connection from the INCOPLAX_* environment this time, not incoplax_connection.
    play = role_play(None, ['alice', 'bob'], forced_logout_sweeps=3, forced_logout_report_dir=str(report_dir))
    run = run_playbook(play, check=True, env={'INCOPLAX_URL': api.url, 'INCOPLAX_TOKEN': TOKEN,
                                              'INCOPLAX_CALLER': 'admin'}).assert_ok()
    state = api.state()
    assert keys(state['sessions']) == ALL_KEYS
    assert state['counters']['POST'] == state['counters']['DELETE'] == 0
    result = run.fact('forced_logout_result')
    assert_result_shape(result)
    assert keys(result['closed']) == keys(result['before']) == ALICE + BOB
    assert (result['check_mode'], result['passes'], result['ticket'], result['failure']) == (True, 1, None, None)
    assert result['remaining'] == [] and result['counts']['closed'] == 5
    # What is knowable from the environment: the URL and the caller.
    assert (result['platform'], result['caller']) == (api.url, 'admin')
    assert assert_published(run, result)['check_mode'] is True
    # No ticket: the files are named forced-logout.<UTC time>.
    names = sorted(path.name for path in report_dir.iterdir())
    assert len(names) == 3 and names[-1] == 'forced-logout.ledger.jsonl', names
    match = EVIDENCE_FILE.match(names[0])
    assert match and match.group('name') == 'forced-logout' and names[1] == names[0][:-len('json')] + 'md', names
    data, markdown = assert_evidence(run, report_dir, 'forced-logout', None)
    assert data['check_mode'] is True
    assert '(dry run: nothing was closed)' in markdown and '| Ticket | - |' in markdown


def test_hostile_ticket_stays_in_the_report_dir(api, run_playbook, tmp_path):
    report_dir = tmp_path / 'a' / 'evidence'
    run = run_playbook([attempt('plan', api, ['carol'], forced_logout_mode='plan', forced_logout_ticket='../../x',
                                forced_logout_report_dir=str(report_dir))]).assert_ok()
    # Every file, the plan included, is in report_dir, under the sanitised name.
    assert sorted(str(p) for p in (tmp_path / 'a').rglob('*') if p.is_file()) == sorted(str(p) for p in report_dir.iterdir())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('x') or p.name.endswith('.json')]
    names = sorted(p.name for p in report_dir.iterdir())
    assert len(names) == 4 and all(name.startswith('_.._x.') for name in names), names
    assert run.fact('forced_logout_result')['ticket'] == '../../x'
    assert ledger_records(report_dir, '_.._x')[0]['ticket'] == '../../x'
    assert api.counters()['POST'] == 0


def test_caller_logging_itself_out_is_spared(api, run_playbook, tmp_path):
    report_dir = tmp_path / 'evidence'
    # The token belongs to admin: only with caller set may admin's own session survive its logout.
    play = role_play(api, ['admin'], forced_logout_ticket='INC-SELF', forced_logout_report_dir=str(report_dir),
                     incoplax_connection=dict(connection(api), caller='admin'))
    run = run_playbook(play).assert_ok()
    assert keys(api.state()['sessions']) == without(ALL_KEYS, of(ADMIN_2))
    assert_posts(api, ['admin'])
    result = run.fact('forced_logout_result')
    assert keys(result['spared']) == of(ADMIN_OWN)
    assert keys(result['closed']) == of(ADMIN_2)
    assert result['remaining'] == [] and result['failure'] is None
    assert (result['counts']['spared'], result['counts']['closed'], result['counts']['remaining']) == (1, 1, 0)
    assert published(run)['ok'] is True
    _data, markdown = assert_evidence(run, report_dir, 'INC-SELF', 'INC-SELF')
    assert '## Spared' in markdown and ADMIN_OWN in markdown


def test_a_surviving_session_of_a_target_is_never_spared_without_caller(api, run_playbook, tmp_path):
    report_dir = tmp_path / 'evidence'
    play = role_play(api, ['admin'], forced_logout_ticket='INC-NOCALLER', forced_logout_report_dir=str(report_dir),
                     forced_logout_wait_timeout=2)
    run = run_playbook(play)
    assert run.rc != 0, run.describe()
    assert 'set caller' in run.stdout
    data, markdown = assert_evidence(run, report_dir, 'INC-NOCALLER', 'INC-NOCALLER')
    assert keys(data['remaining']) == of(ADMIN_OWN) and data['spared'] == []
    assert data['outcome'] == 'failed' and '## Still open' in markdown and ADMIN_OWN in markdown


def test_target_refused_by_the_platform(api, run_playbook, tmp_path):
    api.set_faults({'fail_users': ['bob']})
    report_dir = tmp_path / 'evidence'
    play = role_play(api, ['alice', 'bob', 'carol'], forced_logout_ticket='INC-500', forced_logout_report_dir=str(report_dir))
    run = run_playbook(play)
    assert run.rc != 0, run.describe()
    # The role fails at the end, after writing the evidence, and says where it is.
    assert recap(run)['localhost']['failed'] == 1
    final = run.task('Fail when the logout is not complete')
    assert final['status'] == 'failed' and 'bob' in final['result']['msg']
    assert run.fact('forced_logout_evidence_files')['json'] in final['result']['msg']
    # The other targets are closed; bob's sessions stay open.
    assert keys(api.state()['sessions']) == without(ALL_KEYS, ALICE + CAROL)
    assert_posts(api, ['alice', 'bob', 'carol'], refused=['bob'])
    result = run.fact('forced_logout_result')
    assert_result_shape(result)
    assert keys(result['closed']) == ALICE + CAROL
    assert [(item['target'], item['type'], item['status']) for item in result['failed_targets']] == [('bob', 'user', 500)]
    assert 'bob' in result['failure'] and '500' in result['failure']
    assert keys(result['remaining']) == BOB
    assert result['counts']['failed_targets'] == 1 and result['counts']['closed'] == 5
    assert assert_published(run, result)['ok'] is False
    _data, markdown = assert_evidence(run, report_dir, 'INC-500', 'INC-500')
    assert '## Failed targets' in markdown and '| bob |' in markdown and 'FAILED: ' in markdown


def test_fail_on_incomplete_false_publishes_and_ends_ok(api, run_playbook, tmp_path):
    api.set_faults({'fail_users': ['bob']})
    report_dir = tmp_path / 'evidence'
    play = role_play(api, ['alice', 'bob'], forced_logout_ticket='INC-EDA', forced_logout_report_dir=str(report_dir),
                     forced_logout_fail_on_incomplete=False)
    # The run ends ok (ansible-rulebook posts set_stats back only then), yet says everywhere that it failed.
    run = run_playbook(play, env={'ANSIBLE_SHOW_CUSTOM_STATS': '1'}).assert_ok()
    assert recap(run)['localhost']['failed'] == 0
    result = run.fact('forced_logout_result')
    assert result['outcome'] == 'failed' and 'bob' in result['failure'] and keys(result['remaining']) == BOB
    totals = custom_stats(run)['forced_logout']
    assert (totals['ok'], totals['failed_clusters'], totals['remaining']) == (False, ['localhost'], 2), totals
    summary = summary_text(run)
    assert summary[0].startswith('forced logout INC-EDA: FAILED: ') and 'bob' in summary[0]
    assert any(line.startswith('STILL OPEN: ') and BOB_1 in line for line in summary), summary
    assert any(line.startswith('failed: bob (500)') for line in summary), summary
    assert_evidence(run, report_dir, 'INC-EDA', 'INC-EDA')


def test_connection_from_the_environment_keyword(api, run_playbook, tmp_path):
    """The role works on the controller: the play's and the task's environment reach it as they reach a module, the
    task's entry winning; the evidence names the URL that was used (the process environment has none)."""
    report_dir = tmp_path / 'evidence'
    play = role_play(None, ['carol'], forced_logout_ticket='INC-ENV', forced_logout_report_dir=str(report_dir))
    play['environment'] = {'INCOPLAX_URL': 'http://127.0.0.1:9', 'INCOPLAX_TOKEN': 'wrong'}
    play['tasks'][0]['environment'] = {'INCOPLAX_URL': api.url, 'INCOPLAX_TOKEN': TOKEN}
    run = run_playbook(play, env={'INCOPLAX_URL': None, 'INCOPLAX_TOKEN': None}).assert_ok()
    assert keys(api.state()['sessions']) == without(ALL_KEYS, CAROL)
    result = run.fact('forced_logout_result')
    assert result['outcome'] == 'contained' and result['platform'] == api.url.rstrip('/')
    assert TOKEN not in json.dumps(result) and TOKEN not in run.stdout


def test_collection_playbook_by_name(api, run_playbook, tmp_path):
    report_dir = tmp_path / 'evidence'
    extra = {'forced_logout_users': ['carol'], 'forced_logout_domain': MASTER, 'forced_logout_ticket': 'INC-PB',
             'forced_logout_report_dir': str(report_dir)}
    env = {'INCOPLAX_URL': api.url, 'INCOPLAX_TOKEN': TOKEN, 'ANSIBLE_SHOW_CUSTOM_STATS': '1'}
    run = run_playbook(PLAYBOOK, extra_vars=extra, env=env).assert_ok()
    assert keys(api.state()['sessions']) == without(ALL_KEYS, CAROL)
    assert_posts(api, ['carol'])
    # The play runs on localhost: the evidence name has no host suffix.
    result = playbook_result(run, report_dir, 'INC-PB')
    assert keys(result['closed']) == CAROL and result['failure'] is None
    assert_evidence(run, report_dir, 'INC-PB', 'INC-PB', result=result)
    assert published(run)['ok'] is True
    totals = custom_stats(run)['forced_logout']
    assert (totals['ok'], totals['closed'], totals['remaining'], totals['failed_clusters']) == (True, 2, 0, []), totals


# Multi-cluster: one emulator per cluster, each with its own token, sites, ids and data set.
TOKEN_PREFIX = 'secret-cluster-token-'
CLUSTERS = {
    'cluster-a': ['paris', 'lyon'],
    'cluster-b': ['berlin', 'munich', 'hamburg'],
    'cluster-c': ['oslo'],
}


def cluster_fixture(number, sites):
    """A data set of its own: admin, alice, bob (the targets) and dave, with ids unique to the cluster."""
    def sid(index):
        return '3%d000000-0177-99e7-5545-%012d' % (number, index)

    def uid(name):
        return '%s%d-0177-99e7-5545-e0d55e0cd303' % (name.encode().hex()[:7], number)
    sessions = [
        session_entry(sid(1), 'admin', sites[0], user_id=uid('admin')),
        session_entry(sid(2), 'alice', sites[-1], user_id=uid('alice')),
        session_entry(sid(2), 'alice', sites[-1], 'websocket', user_id=uid('alice'), connections=[ALIVE]),
        session_entry(sid(3), 'dave', sites[0], user_id=uid('dave')),
    ]
    # Cluster n has n sessions of bob, on its sites round-robin.
    sessions += [session_entry(sid(10 + index), 'bob', sites[index % len(sites)], user_id=uid('bob')) for index in range(number)]
    return {'current_site': sites[0], 'sites': sites, 'sessions': sessions}


@pytest.fixture
def clusters(start_emulator):
    """Three emulators, {host: (emulator, token, fixture)}."""
    found = {}
    for number, (host, sites) in enumerate(sorted(CLUSTERS.items()), start=1):
        token = '%s%s-%d' % (TOKEN_PREFIX, host, number * 7919)
        instance = start_emulator('--token', token)
        fixture = cluster_fixture(number, sites)
        instance.load(copy.deepcopy(fixture))
        found[host] = (instance, token, fixture)
    return found


def cluster_run(run_playbook, tmp_path, clusters, ticket, forks=3):
    """The collection playbook over one inventory host per cluster; ``clusters``: {host: (emulator, token, ...)}."""
    inventory = tmp_path / 'clusters.yml'
    hosts = {host: {'incoplax_connection': {'url': emulator.url, 'token': values[0], 'retries': 1}}
             for host, (emulator, *values) in clusters.items()}
    inventory.write_text(yaml.safe_dump({'all': {'hosts': hosts}}))
    report_dir = tmp_path / 'evidence'
    extra = {'forced_logout_users': ['alice', 'bob'], 'forced_logout_domain': MASTER,
             'forced_logout_ticket': ticket, 'forced_logout_report_dir': str(report_dir)}
    run = run_playbook(PLAYBOOK, inventory=inventory, args=['-e', 'incoplax_hosts=all', '-f', str(forks)], extra_vars=extra,
                       env={'ANSIBLE_SHOW_CUSTOM_STATS': '1'})
    return run, report_dir


def record_censored(run, host):
    """Whether the callbacks got the record task's result as for no_log (ansible-core 2.19 and 2.20), so that a run
    of the collection playbook, which has no debug task of ours, shows none of the role's facts."""
    record = [item for item in run.tasks(RECORD_TASK) if item['host'] == host]
    assert len(record) == 1, (host, run.statuses())
    censored = bool(record[0]['result'].get('censored'))
    assert not censored or 'ansible_facts' not in record[0]['result'], record
    return censored


def shown_fact(run, name, host='localhost'):
    """The fact ``name`` as a task of the run showed it; None when the record task's result was censored."""
    return None if record_censored(run, host) else run.fact(name, host)


def playbook_result(run, report_dir, name, host='localhost'):
    """forced_logout_result of a run of the collection playbook (no task of ours shows it): its JSON evidence, which
    holds the fact. The task results show the fact without its lists of session entries (forced_logout_outcome),
    except on ansible-core 2.19 and 2.20, where the callbacks get the record task's result as for no_log."""
    data = evidence(report_dir, name)[0]
    outcome = shown_fact(run, 'forced_logout_outcome', host)
    if outcome is not None:
        assert outcome == dict((key, value) for key, value in data.items() if key not in ENTRY_LISTS), host
    return data


def target_keys(fixture):
    return keys(entry for entry in fixture['sessions'] if entry['login'] in ('alice', 'bob'))


def assert_cluster_closed(host, instance, fixture, result, report_dir, ticket):
    """Every target session of this cluster closed, through its own emulator only, with its own evidence."""
    state = instance.state()
    others = without(keys(fixture['sessions']), target_keys(fixture))
    assert keys(state['sessions']) == others, host
    requests = state['requests']
    # Every request came with this cluster's token (another cluster's would be answered 401).
    assert {entry['status'] for entry in requests} == {200}, (host, requests)
    assert sorted(entry['body']['user'] for entry in requests if entry['method'] == 'POST') == ['alice', 'bob'], host
    assert state['counters']['DELETE'] == 0
    assert keys(result['closed']) == target_keys(fixture) and result['failure'] is None, host
    assert {entry['site'] for entry in result['closed']} <= set(fixture['sites'])
    data, markdown = evidence(report_dir, '%s-%s' % (ticket, host))
    assert data == result
    assert '| Cluster | %s |' % host in markdown
    assert TOKEN_PREFIX not in json.dumps(data) + markdown


def test_clusters_in_parallel(clusters, run_playbook, tmp_path):
    run, report_dir = cluster_run(run_playbook, tmp_path, clusters, 'INC-MC')
    run.assert_ok()
    for host, (instance, _token, fixture) in clusters.items():
        result = playbook_result(run, report_dir, 'INC-MC-' + host, host)
        assert_cluster_closed(host, instance, fixture, result, report_dir, 'INC-MC')
        # alice's one session, and bob's n on cluster n
        assert result['counts']['closed'] == 1 + sorted(CLUSTERS).index(host) + 1, host
    # One set of files and one ledger per cluster.
    assert sorted(EVIDENCE_FILE.sub(r'\g<name>.\g<ext>', path.name) for path in report_dir.iterdir()) == sorted(
        'INC-MC-%s.%s' % (host, ext) for host in CLUSTERS for ext in ('json', 'md', 'ledger.jsonl'))
    # The run publishes the totals over every cluster.
    totals = custom_stats(run)['forced_logout']
    assert (totals['ok'], totals['clusters'], totals['failed_clusters']) == (True, 3, []), totals
    assert (totals['closed'], totals['before'], totals['remaining']) == (2 + 3 + 4, 2 + 3 + 4, 0), totals


def test_one_failing_cluster_fails_only_its_host(clusters, run_playbook, tmp_path):
    good, _token, good_fixture = clusters['cluster-a']
    refusing, _token, refusing_fixture = clusters['cluster-b']
    refusing.set_faults({'fail_users': ['bob']})
    down = clusters['cluster-c'][0]
    down.stop()
    run, report_dir = cluster_run(run_playbook, tmp_path, clusters, 'INC-MF')
    assert run.rc != 0, run.describe()
    assert {host: recap(run)[host]['failed'] for host in CLUSTERS} == {'cluster-a': 0, 'cluster-b': 1, 'cluster-c': 1}
    for host in ('cluster-b', 'cluster-c'):
        final = last_result(run, host)
        assert final['status'] == 'failed', final
        files = shown_fact(run, 'forced_logout_evidence_files', host)
        json_path = str(report_dir / ledger_records(report_dir, 'INC-MF-' + host)[-1]['files']['json']['name'])
        assert json_path in final['result']['msg'] and (files is None or files['json'] == json_path), final
    assert_cluster_closed('cluster-a', good, good_fixture, playbook_result(run, report_dir, 'INC-MF-cluster-a', 'cluster-a'),
                          report_dir, 'INC-MF')
    # cluster-b: alice closed, bob refused by the platform.
    refused = playbook_result(run, report_dir, 'INC-MF-cluster-b', 'cluster-b')
    alice_b = keys(entry for entry in refusing_fixture['sessions'] if entry['login'] == 'alice')
    assert keys(refused['closed']) == alice_b
    assert [item['target'] for item in refused['failed_targets']] == ['bob']
    assert keys(refusing.state()['sessions']) == without(keys(refusing_fixture['sessions']), alice_b)
    assert evidence(report_dir, 'INC-MF-cluster-b')[0]['failed_targets'] == refused['failed_targets']
    # cluster-c: unreachable, nothing known, the failure recorded.
    unreachable = playbook_result(run, report_dir, 'INC-MF-cluster-c', 'cluster-c')
    assert down.url in unreachable['failure'], unreachable
    assert unreachable['closed'] == [] and unreachable['before'] is None and unreachable['remaining'] is None
    totals = custom_stats(run)['forced_logout']
    assert (totals['ok'], totals['failed_clusters']) == (False, ['cluster-b', 'cluster-c']), totals
    # Unknown in one cluster: unknown in total, never a zero.
    assert totals['before'] is None and totals['remaining'] is None, totals


def test_published_totals_do_not_hide_a_failed_cluster(clusters, run_playbook, tmp_path):
    # One fork: the hosts report in inventory order, the failed cluster first, so that stats merged key by key
    # (the last cluster winning) would read ok.
    clusters['cluster-a'][0].set_faults({'fail_users': ['bob']})
    run, _report_dir = cluster_run(run_playbook, tmp_path, clusters, 'INC-ST', forks=1)
    assert {host: recap(run)[host]['failed'] for host in CLUSTERS} == {'cluster-a': 1, 'cluster-b': 0, 'cluster-c': 0}
    totals = custom_stats(run)['forced_logout']
    assert (totals['ok'], totals['clusters'], totals['failed_clusters']) == (False, 3, ['cluster-a']), totals
    assert totals['failed_targets'] == 1 and totals['closed'] == 1 + 3 + 4, totals


def test_published_totals_when_every_cluster_fails(closed_port, run_playbook, tmp_path):
    nowhere = type('Nowhere', (), {'url': 'http://127.0.0.1:%d' % closed_port})()
    clusters = {host: (nowhere, 'unused-token') for host in CLUSTERS}
    run, report_dir = cluster_run(run_playbook, tmp_path, clusters, 'INC-ALL')
    assert run.rc != 0 and {host: recap(run)[host]['failed'] for host in CLUSTERS} == dict.fromkeys(CLUSTERS, 1)
    assert len(list(report_dir.iterdir())) == 3 * len(CLUSTERS)
    totals = custom_stats(run)['forced_logout']
    assert totals['ok'] is False, totals
    assert (totals.get('clusters'), totals.get('failed_clusters')) == (3, sorted(CLUSTERS)), totals


def test_the_facts_of_the_last_run_win(api, run_playbook, tmp_path):
    # forced_logout_result and its companions are only written by the role: a second run in the same play
    # replaces the first's, with set_fact precedence on ansible-core 2.21+ and as host facts before.
    tasks = [
        {'name': 'first', 'ansible.builtin.include_role': {'name': ROLE}, 'vars': role_vars(api, ['carol'], forced_logout_ticket='T-1')},
        {'name': 'after first', 'ansible.builtin.debug': {'msg': '{{ forced_logout_result.ticket }} {{ forced_logout_summary[0] }}'}},
        {'name': 'second', 'ansible.builtin.include_role': {'name': ROLE}, 'vars': role_vars(api, ['dave'], forced_logout_ticket='T-2')},
        {'name': 'after second', 'ansible.builtin.debug': {'msg': '{{ forced_logout_result.ticket }} {{ forced_logout_summary[0] }}'}},
    ]
    run = run_playbook(tasks).assert_ok()
    assert run.result('after first')['msg'] == 'T-1 forced logout T-1: contained'
    assert run.result('after second')['msg'] == 'T-2 forced logout T-2: contained'
    assert sorted(entry['body']['user'] for entry in posts(api)) == ['carol', 'dave']


@pytest.mark.parametrize('inject', ['false', 'true'])
def test_the_role_needs_no_facts_injected_as_variables(api, run_playbook, tmp_path, inject):
    """inject_facts_as_vars false (a setting of its own, and ansible-core's default from 2.24): the role still reports,
    publishes and fails as it should, and its facts are where its README says. On 2.20, which warns when an injected
    fact is read, none of its tasks reads one."""
    report_dir = tmp_path / 'evidence'
    read = ("{{ (ansible_facts.forced_logout_result if ansible_facts.forced_logout_result is defined "
            "else forced_logout_result).counts.closed }} {{ forced_logout_outcome.outcome }} {{ forced_logout_summary[0] }} "
            "{{ forced_logout_evidence_files.json is defined }}")
    play = {'name': 'forced logout', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        {'name': 'Apply the role', 'ansible.builtin.include_role': {'name': ROLE},
         'vars': role_vars(api, ['alice'], forced_logout_ticket='INC-9', forced_logout_report_dir=str(report_dir))},
        {'name': 'Read the result as documented', 'ansible.builtin.debug': {'msg': read}}]}
    run = run_playbook(play, env={'ANSIBLE_INJECT_FACT_VARS': inject}).assert_ok()
    data = evidence(report_dir, 'INC-9')[0]
    assert keys(data['closed']) == ALICE and keys(api.state()['sessions']) == without(ALL_KEYS, ALICE)
    closed = data['counts']['closed']
    assert run.result('Read the result as documented')['msg'] == '%d contained forced logout INC-9: contained True' % closed
    assert summary_text(run)[0] == 'forced logout INC-9: contained'
    assert published(run)['ok'] is True
    # Nothing to warn about in a run that contained everything (no deprecated fact read, no empty task file).
    warned = [line for line in (run.stdout + run.stderr).splitlines() if 'WARNING' in line]
    assert warned == [], run.describe()

    # A run that is not complete still fails the play with its own message, not with an undefined variable.
    api.set_faults({'fail_users': ['bob']})
    refused = dict(play['tasks'][0], vars=role_vars(api, ['bob'], forced_logout_ticket='INC-10',
                                                    forced_logout_report_dir=str(report_dir)))
    failed = run_playbook(dict(play, tasks=[refused]), env={'ANSIBLE_INJECT_FACT_VARS': inject})
    assert failed.rc != 0, failed.describe()
    final = failed.task('Fail when the logout is not complete')
    assert final['status'] == 'failed' and final['result']['msg'].startswith('forced_logout failed:'), failed.describe()
    assert 'bob' in final['result']['msg'] and '.json' in final['result']['msg']
    assert published(failed)['ok'] is False


def test_a_platform_that_drops_the_sites_gets_no_logout(api, run_playbook, tmp_path):
    # A platform (or proxy) that ignores the sites parameter lists every site: a logout would act outside the scope.
    api.set_faults({'ignore_sites': True})
    report_dir = tmp_path / 'evidence'
    site = FIXTURE['sites'][0]
    play = role_play(api, ['alice'], forced_logout_sites=[site], forced_logout_ticket='INC-SCOPE',
                     forced_logout_report_dir=str(report_dir))
    run = run_playbook(play)
    assert run.rc != 0, run.describe()
    assert {entry['method'] for entry in api.requests()} == {'GET'}, api.requests()
    assert keys(api.state()['sessions']) == ALL_KEYS
    data, _markdown = assert_evidence(run, report_dir, 'INC-SCOPE', 'INC-SCOPE')
    assert data['outcome'] == 'failed' and data['closed'] == [] and data['counts']['closed'] == 0
    assert data['failure'].startswith('Close every session of the targets in one bulk call: '), data['failure']
    assert 'outside the requested scope %s' % site in data['failure'] and 'nothing was sent' in data['failure']


def test_slow_propagation_is_still_open_never_spared_or_contained(api, run_playbook, tmp_path):
    # The platform accepts the logouts but the sessions stay listed longer than the role waits.
    api.set_faults({'close_delay': 60})
    report_dir = tmp_path / 'evidence'
    play = role_play(api, ['alice', 'carol'], forced_logout_ticket='INC-SLOW', forced_logout_report_dir=str(report_dir),
                     forced_logout_wait_timeout=2, incoplax_connection=dict(connection(api), caller='admin'))
    run = run_playbook(play)
    assert run.rc != 0, run.describe()
    data, markdown = assert_evidence(run, report_dir, 'INC-SLOW', 'INC-SLOW')
    alice_and_carol = of(ALICE_1, ALICE_2, ALICE_3, CAROL_1, CAROL_2)
    assert keys(data['remaining']) == alice_and_carol and data['spared'] == [] and data['closed'] == []
    assert data['outcome'] == 'failed' and data['counts']['remaining'] == 5 and data['counts']['closed'] == 0
    assert '## Still open' in markdown
    lines = summary_text(run)
    assert any(line.startswith('STILL OPEN') and ALICE_1 in line and CAROL_2 in line for line in lines), lines
    assert 'FAILED' in lines[0] and 'contained' not in lines[0], lines
