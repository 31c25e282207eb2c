# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Integration tests of incoplax.platform.ws_session: real ansible-playbook, real emulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
from urllib.parse import quote, unquote

import pytest

from incoplax_testing.cast import entry as session_entry, identity  # pylint: disable=import-error
from incoplax_testing.emulator import holding_exactly  # pylint: disable=import-error
from incoplax_testing.playbook import module_task  # pylint: disable=import-error
from incoplax_testing.cast import (  # pylint: disable=import-error
    SESSIONS_PATH, MASTER, BRANCH, ADMIN_ID, ALICE_ID, ALICE_BRANCH_ID, BOB_ID, CAROL_ID, GUARD_ID, ALIVE, DEAD)


MODULE = 'incoplax.platform.ws_session'
# The only credential of the fixture: it maps to admin, whose own session is ADMIN_OWN.
TOKEN = 'ws-session-T0ken-4b7e91c2d05a'

FRANK_ID = 'f4a40000-0176-99e7-5545-e0d55e0cd303'
DAVE_ID = 'da4e0000-0176-99e7-5545-b0b0b0b0b0b0'
EVE_ID = 'e4e00000-0176-99e7-5545-b0b0b0b0b0b0'
KEEPER_ID = 'cee70000-0176-99e7-5545-b0b0b0b0b0b0'

# ADMIN_OWN (the caller's own session) and ALICE_1 are each listed twice: http and websocket.
ADMIN_OWN = '16d72c4c-0176-99e7-5545-000000000001'
ADMIN_2 = '16d72c4c-0176-99e7-5545-000000000002'
ALICE_1 = '16d72c4c-0176-99e7-5545-000000000003'
ALICE_2 = '16d72c4c-0176-99e7-5545-000000000004'
BOB_1 = '16d72c4c-0176-99e7-5545-000000000005'
BOB_WS = '16d72c4c-0176-99e7-5545-000000000006'
CAROL_1 = '16d72c4c-0176-99e7-5545-000000000007'
CAROL_2 = '16d72c4c-0176-99e7-5545-000000000008'
GUARD_1 = '16d72c4c-0176-99e7-5545-000000000009'
GUARD_2 = '16d72c4c-0176-99e7-5545-000000000010'
SLASH_ID = 'legacy/session/0001'
ALICE_BRANCH = '16d72c4c-0176-99e7-5545-000000000011'
DAVE_1 = '16d72c4c-0176-99e7-5545-000000000012'
DAVE_2 = '16d72c4c-0176-99e7-5545-000000000013'
EVE_1 = '16d72c4c-0176-99e7-5545-000000000014'
KEEPER_1 = '16d72c4c-0176-99e7-5545-000000000015'
KEEPER_2 = '16d72c4c-0176-99e7-5545-000000000016'
UNKNOWN = '16d72c4c-0176-99e7-5545-0000000000ff'


DIFF_FIELDS = ('session_id', 'login', 'site', 'session_type')


SESSIONS = [
    session_entry(ADMIN_OWN, 'admin', user_id=ADMIN_ID),
    session_entry(ADMIN_OWN, 'admin', 'central', 'websocket', user_id=ADMIN_ID, connections=[ALIVE]),
    session_entry(ADMIN_2, 'admin', 'east', user_id=ADMIN_ID),
    session_entry(ALICE_1, 'alice', user_id=ALICE_ID),
    session_entry(ALICE_1, 'alice', 'central', 'websocket', user_id=ALICE_ID, connections=[ALIVE]),
    session_entry(ALICE_2, 'alice', 'east', user_id=ALICE_ID),
    session_entry(BOB_1, 'bob', user_id=BOB_ID),
    session_entry(BOB_WS, 'bob', 'west', 'websocket', user_id=BOB_ID, connections=[DEAD]),
    session_entry(CAROL_1, 'carol', user_id=CAROL_ID),
    session_entry(CAROL_2, 'carol', 'east', 'websocket', user_id=CAROL_ID, connections=[ALIVE]),
    session_entry(GUARD_1, 'guard', user_id=GUARD_ID),
    session_entry(GUARD_2, 'guard', 'west', user_id=GUARD_ID),
    session_entry(SLASH_ID, 'frank', user_id=FRANK_ID),
    session_entry(ALICE_BRANCH, 'alice', user_id=ALICE_BRANCH_ID, domain=BRANCH),
    session_entry(DAVE_1, 'dave', user_id=DAVE_ID, domain=BRANCH),
    session_entry(DAVE_2, 'dave', 'west', 'websocket', user_id=DAVE_ID, domain=BRANCH, connections=[ALIVE]),
    session_entry(EVE_1, 'eve', 'east', user_id=EVE_ID, domain=BRANCH),
    session_entry(KEEPER_1, 'keeper', user_id=KEEPER_ID, domain=BRANCH),
    session_entry(KEEPER_2, 'keeper', 'east', user_id=KEEPER_ID, domain=BRANCH),
]

FIXTURE = {
    'current_site': 'central',
    'sites': ['central', 'east', 'west'],
    'credentials': {'tokens': {TOKEN: identity('admin', ADMIN_ID, ADMIN_OWN)}},
    'sessions': SESSIONS,
}

ENTRY = {(entry['session_id'], entry['session_type']): entry for entry in SESSIONS}
ALL_KEYS = sorted(ENTRY)


def of(*session_ids):
    """Keys (session_id, session_type) of every fixture entry with one of these ids."""
    return sorted(key for key in ENTRY if key[0] in session_ids)


ADMIN_ALL = of(ADMIN_OWN, ADMIN_2)
ALICE_MASTER = of(ALICE_1, ALICE_2)
BOB_ALL = of(BOB_1, BOB_WS)
CAROL_ALL = of(CAROL_1, CAROL_2)
KEEPER_ALL = of(KEEPER_1, KEEPER_2)
BRANCH_UNPROTECTED = of(ALICE_BRANCH, DAVE_1, DAVE_2, EVE_1)


@pytest.fixture
def api(emulator):
    """The shared emulator holding exactly FIXTURE (its token mapped to admin / ADMIN_OWN), no faults."""
    return holding_exactly(emulator, FIXTURE, ADMIN_OWN)


def close(api, name, ignore_errors=False, **options):
    """A ws_session task against ``api`` with the fixture token, whose account is admin (None drops an option)."""
    return module_task(name, MODULE, dict(dict(url=api.url, token=TOKEN, caller='admin'), **options), ignore_errors)


def keys(entries):
    return sorted((entry['session_id'], entry['session_type']) for entry in entries)


def plain(entries):
    """Entries without ttl (a live value), in a stable order, for exact comparison."""
    return sorted(({key: value for key, value in entry.items() if key != 'ttl'} for entry in entries),
                  key=lambda entry: (entry['session_id'], entry['session_type']))


def expected(entry_keys):
    return plain(ENTRY[key] for key in entry_keys)


def assert_entries(got, entry_keys, what=''):
    """``got`` holds exactly the fixture entries ``entry_keys``, every field equal (ttl aside)."""
    assert keys(got) == sorted(entry_keys), what
    assert plain(got) == expected(entry_keys), what


def open_keys(state):
    return keys(state['sessions'])


def remaining_after(*closed):
    """Fixture keys minus the closed ones."""
    gone = set(key for group in closed for key in group)
    return sorted(key for key in ALL_KEYS if key not in gone)


def delete_path(session_id):
    return '%s/%s' % (SESSIONS_PATH, quote(session_id, safe=''))


def writes(state):
    """(method, path) of every POST and DELETE in the request log, in order."""
    return [(entry['method'], entry['path']) for entry in state['requests'] if entry['method'] in ('POST', 'DELETE')]


def post_bodies(state):
    return [entry['body'] for entry in state['requests'] if entry['method'] == 'POST']


def encoded(value):
    """The query the vendor documents for a ``sites`` value: URL-encoded compact JSON."""
    return 'sites=' + quote(value, safe='')


def diff_view(entries):
    assert all(set(DIFF_FIELDS) <= set(entry) for entry in entries), entries
    return sorted(tuple(entry[field] for field in DIFF_FIELDS) for entry in entries)


def diff_of_keys(entry_keys):
    return sorted(tuple(ENTRY[key][field] for field in DIFF_FIELDS) for key in entry_keys)


def counts_of(entry_keys, spared=0, skipped_protected=0, failed_targets=0, not_open=0, remaining=0, already_gone=0):
    """The expected ``counts`` when exactly the fixture entries ``entry_keys`` were closed."""
    per_site = {}
    for key in entry_keys:
        per_site.setdefault(ENTRY[key]['site'], set()).add(key[0])
    closed = len({key[0] for key in entry_keys})
    return {
        'before': closed + spared + remaining + already_gone, 'closed': closed, 'total': closed,
        'entries': len(entry_keys), 'by_site': {site: len(ids) for site, ids in sorted(per_site.items())},
        'already_gone': already_gone, 'remaining': remaining, 'spared': spared, 'unverified': 0,
        'skipped_protected': skipped_protected, 'not_open': not_open, 'failed_targets': failed_targets,
    }


def assert_unchanged(task, not_open=None):
    assert task['status'] == 'ok', task
    result = task['result']
    assert result['changed'] is False
    assert result['closed'] == [] and result['failed_targets'] == [], result
    if not_open is not None:
        assert result['not_open'] == not_open, result


def test_close_by_id_rerun_unknown_and_other_sites(api, run_playbook):
    tasks = [
        close(api, 'close bob', sites='all', session_id=[BOB_1]),
        close(api, 'close bob again', sites='all', session_id=[BOB_1]),
        close(api, 'close an unknown id', sites='all', session_id=[UNKNOWN]),
        close(api, 'east session with sites central', sites='central', session_id=[ALICE_2]),
        close(api, 'log out alice on central only', sites=['central'], user=['alice'], domain=MASTER),
        close(api, 'match carol on east only', sites='east', match={'login': ['carol']}),
    ]
    run = run_playbook(tasks).assert_ok()
    first = run.task('close bob')
    assert first['status'] == 'changed', first
    data = first['result']
    assert_entries(data['closed'], of(BOB_1))
    assert data['counts'] == counts_of(of(BOB_1))
    assert data['not_open'] == [] and data['spared'] == [] and data['remaining'] == [] and data['failed_targets'] == []
    assert data['skipped_protected'] == [] and data['sites'] == 'all'
    assert_unchanged(run.task('close bob again'), not_open=[BOB_1])
    assert_unchanged(run.task('close an unknown id'), not_open=[UNKNOWN])
    # ALICE_2 is open, but on east: outside sites, so not open "there", untouched and not reported.
    assert_unchanged(run.task('east session with sites central'), not_open=[ALICE_2])
    assert run.result('east session with sites central')['sites'] == ['central']
    alice = run.task('log out alice on central only')
    assert alice['status'] == 'changed', alice
    assert_entries(alice['result']['closed'], of(ALICE_1))
    carol = run.task('match carol on east only')
    assert carol['status'] == 'changed', carol
    assert_entries(carol['result']['closed'], of(CAROL_2))
    state = api.state()
    assert open_keys(state) == remaining_after(of(BOB_1, ALICE_1, CAROL_2))
    assert (ALICE_2, 'http') in open_keys(state) and (CAROL_1, 'http') in open_keys(state)
    assert writes(state) == [('DELETE', delete_path(BOB_1)), ('POST', SESSIONS_PATH), ('DELETE', delete_path(CAROL_2))]
    assert post_bodies(state) == [{'action': 'logout', 'domain': MASTER, 'user': 'alice', 'sites': ['central']}]


def test_check_mode_changes_nothing_and_predicts(api, run_playbook):
    tasks = [
        close(api, 'ids', sites='all', session_id=[ALICE_1, BOB_1, UNKNOWN]),
        close(api, 'users', sites='all', user=['carol', 'admin'], domain=MASTER),
        close(api, 'branch domain', sites='all', match={'domain': [BRANCH]}, protected_users=['keeper']),
        close(api, 'over max_sessions', ignore_errors=True, sites='all', match={'domain': [MASTER]}, max_sessions=2),
    ]
    run = run_playbook(tasks, check=True)
    assert run.rc == 0, run.describe()
    predictions = [
        ('ids', of(ALICE_1, BOB_1)),
        # check mode cannot know which session the platform spares: all of admin's are predicted (documented)
        ('users', CAROL_ALL + ADMIN_ALL),
        ('branch domain', BRANCH_UNPROTECTED),
    ]
    for name, closed in predictions:
        task = run.task(name)
        assert task['status'] == 'changed', task
        assert_entries(task['result']['closed'], closed, name)
        assert task['result']['msg'].startswith('would close'), task['result']['msg']
    assert run.result('ids')['not_open'] == [UNKNOWN]
    assert run.result('ids')['counts'] == counts_of(of(ALICE_1, BOB_1), not_open=1)
    assert_entries(run.result('branch domain')['skipped_protected'], KEEPER_ALL)
    guard = run.task('over max_sessions')
    assert guard['status'] == 'failed' and 'max_sessions' in guard['result']['msg'], guard
    state = api.state()
    assert state['counters']['POST'] == 0 and state['counters']['DELETE'] == 0, state['counters']
    assert state['counters']['total'] == state['counters']['GET'] > 0
    assert writes(state) == []
    assert open_keys(state) == ALL_KEYS


def test_diff_in_check_mode_and_real_mode(api, run_playbook):
    preview = run_playbook([
        close(api, 'preview alice', sites='all', user=['alice'], domain=MASTER),
        close(api, 'preview nothing', sites='all', session_id=[UNKNOWN]),
    ], check=True, diff=True).assert_ok()
    diff = preview.result('preview alice')['diff']
    assert diff_view(diff['before']['sessions']) == diff_of_keys(ALICE_MASTER)
    assert diff['after']['sessions'] == []
    nothing = preview.result('preview nothing')
    assert nothing['changed'] is False
    assert nothing['diff']['before']['sessions'] == [] and nothing['diff']['after']['sessions'] == []
    assert writes(api.state()) == []

    real = run_playbook([
        close(api, 'log out admin and alice', sites='all', user=['admin', 'alice'], domain=MASTER),
        close(api, 'close bob by id', sites='all', session_id=[BOB_1]),
    ], diff=True).assert_ok()
    data = real.result('log out admin and alice')
    assert diff_view(data['diff']['before']['sessions']) == diff_of_keys(ADMIN_ALL + ALICE_MASTER)
    # the caller's own session stays open: it is the "after"
    assert diff_view(data['diff']['after']['sessions']) == diff_of_keys(of(ADMIN_OWN))
    by_id = real.result('close bob by id')['diff']
    assert diff_view(by_id['before']['sessions']) == diff_of_keys(of(BOB_1))
    assert by_id['after']['sessions'] == []
    assert open_keys(api.state()) == remaining_after(of(ADMIN_2), ALICE_MASTER, of(BOB_1))


def test_logout_users_by_login_and_by_id(api, run_playbook):
    run = run_playbook([
        close(api, 'alice everywhere', sites='all', user=['alice'], domain=MASTER),
        close(api, 'bob by user id', sites='all', user=[BOB_ID], domain=MASTER),
    ]).assert_ok()
    alice = run.task('alice everywhere')
    assert alice['status'] == 'changed'
    assert_entries(alice['result']['closed'], ALICE_MASTER)
    assert alice['result']['counts'] == counts_of(ALICE_MASTER)
    bob = run.task('bob by user id')
    assert bob['status'] == 'changed'
    assert_entries(bob['result']['closed'], BOB_ALL)
    state = api.state()
    assert post_bodies(state) == [
        {'action': 'logout', 'domain': MASTER, 'user': 'alice', 'sites': 'all'},
        {'action': 'logout', 'domain': MASTER, 'user': BOB_ID, 'sites': 'all'},
    ]
    assert [entry['method'] for entry in state['requests'] if entry['method'] != 'GET'] == ['POST', 'POST']
    # alice of branch.domain is another account: untouched
    assert open_keys(state) == remaining_after(ALICE_MASTER, BOB_ALL)
    assert (ALICE_BRANCH, 'http') in open_keys(state)


def test_twenty_users_in_one_task(emulator, run_playbook):
    logins = ['user%02d' % number for number in range(1, 21)]
    sessions = [session_entry(ADMIN_OWN, 'admin', user_id=ADMIN_ID),
                session_entry('0dd00000-0176-99e7-5545-000000000001', 'zed', 'east', user_id='zed00000-0176-99e7-5545-e0d55e0cd303')]
    for number, login in enumerate(logins, 1):
        user_id = '%08d-0176-99e7-5545-e0d55e0cd303' % number
        sessions.append(session_entry('%08d-0176-99e7-5545-000000000001' % number, login, user_id=user_id))
        sessions.append(session_entry('%08d-0176-99e7-5545-000000000002' % number, login, ('east', 'west')[number % 2], user_id=user_id))
        if number % 4 == 0:
            sessions.append(session_entry('%08d-0176-99e7-5545-000000000002' % number, login, ('east', 'west')[number % 2], 'websocket',
                                          user_id=user_id, connections=[ALIVE]))
    emulator.load({'current_site': 'central', 'sites': ['central', 'east', 'west'], 'sessions': copy.deepcopy(sessions),
                   'credentials': {'tokens': {TOKEN: identity('admin', ADMIN_ID, ADMIN_OWN)}}})
    run = run_playbook([close(emulator, 'twenty users', sites='all', user=logins, domain=MASTER)]).assert_ok()
    data = run.result('twenty users')
    targeted = [entry for entry in sessions if entry['login'] in logins]
    assert len(targeted) == 45
    assert plain(data['closed']) == plain(targeted)
    assert data['counts']['total'] == 40 and data['counts']['entries'] == 45
    assert data['failed_targets'] == [] and data['not_open'] == [] and data['spared'] == []
    state = emulator.state()
    assert keys(state['sessions']) == keys(sessions[:2])
    counters = state['counters']
    assert counters['POST'] == 20 and counters['DELETE'] == 0, counters
    assert counters['GET'] <= 4, counters
    bodies = post_bodies(state)
    assert sorted(body['user'] for body in bodies) == logins
    assert all(body == {'action': 'logout', 'domain': MASTER, 'user': body['user'], 'sites': 'all'} for body in bodies), bodies


def test_match_by_session_type_and_site(api, run_playbook):
    run = run_playbook([
        close(api, 'http on east', sites='all', match={'session_type': ['http'], 'site': ['east']}),
        close(api, 'websocket on west', sites='all', match={'session_type': ['websocket'], 'site': ['west']}),
        # GUARD_2 is on west, but sites is the current site (central): nothing matches within it
        close(api, 'west outside the sites scope', match={'site': ['west']}),
    ]).assert_ok()
    east = of(ADMIN_2, ALICE_2, EVE_1, KEEPER_2)
    west = of(BOB_WS, DAVE_2)
    assert_entries(run.result('http on east')['closed'], east)
    assert_entries(run.result('websocket on west')['closed'], west)
    assert_unchanged(run.task('west outside the sites scope'))
    state = api.state()
    assert sorted(writes(state)) == sorted(('DELETE', delete_path(key[0])) for key in east + west)
    assert open_keys(state) == remaining_after(east, west)


@pytest.mark.parametrize('protected', ['keeper', KEEPER_ID])
def test_match_domain_skips_protected_user(api, run_playbook, protected):
    run = run_playbook([close(api, 'branch domain', sites='all', match={'domain': [BRANCH]}, protected_users=[protected])]).assert_ok()
    data = run.result('branch domain')
    assert_entries(data['closed'], BRANCH_UNPROTECTED)
    assert_entries(data['skipped_protected'], KEEPER_ALL)
    assert data['counts'] == counts_of(BRANCH_UNPROTECTED, skipped_protected=2)
    state = api.state()
    assert open_keys(state) == remaining_after(BRANCH_UNPROTECTED)
    assert sorted(writes(state)) == sorted(('DELETE', delete_path(session_id)) for session_id in (ALICE_BRANCH, DAVE_1, DAVE_2, EVE_1))


def test_protected_user_named_as_target_fails(api, run_playbook):
    cases = [
        ('login protected by user id', dict(user=['alice', 'guard'], domain=MASTER, protected_users=[GUARD_ID]), ['user', 'guard']),
        ('user id protected by login', dict(user=[GUARD_ID, 'bob'], domain=MASTER, protected_users=['guard']), ['user', GUARD_ID]),
        ('session of a user protected by login', dict(session_id=[BOB_1, GUARD_1], protected_users=['guard']), ['session_id', GUARD_1]),
        ('session of a user protected by id', dict(session_id=[GUARD_2], protected_users=[GUARD_ID]), ['session_id', GUARD_2]),
    ]
    run = run_playbook([close(api, name, ignore_errors=True, sites='all', **options) for name, options, _words in cases])
    assert run.rc == 0, run.describe()
    for name, _options, words in cases:
        task = run.task(name)
        assert task['status'] == 'failed', (name, task)
        msg = task['result']['msg']
        assert 'protected' in msg, (name, msg)
        for word in words:
            assert word in msg, (name, word, msg)
        assert task['result'].get('changed') is False and not task['result'].get('closed'), (name, task)
    state = api.state()
    assert state['counters']['POST'] == 0 and state['counters']['DELETE'] == 0, state['counters']
    assert open_keys(state) == ALL_KEYS


def test_caller_logging_out_itself_is_spared(api, run_playbook):
    run = run_playbook([
        close(api, 'log out admin and alice', sites='all', user=['admin', 'alice'], domain=MASTER),
        close(api, 'log out admin and alice again', sites='all', user=['admin', 'alice'], domain=MASTER),
    ]).assert_ok()
    first = run.task('log out admin and alice')
    assert first['status'] == 'changed', first
    data = first['result']
    assert_entries(data['spared'], of(ADMIN_OWN))
    assert_entries(data['closed'], of(ADMIN_2) + ALICE_MASTER)
    assert data['remaining'] == [] and data['failed_targets'] == []
    assert data['counts'] == counts_of(of(ADMIN_2) + ALICE_MASTER, spared=1)
    again = run.task('log out admin and alice again')
    assert_unchanged(again, not_open=['alice'])
    assert_entries(again['result']['spared'], of(ADMIN_OWN))
    state = api.state()
    assert open_keys(state) == remaining_after(of(ADMIN_2), ALICE_MASTER)


def test_max_sessions(api, run_playbook):
    run = run_playbook([
        close(api, 'whole master domain, max 3', ignore_errors=True, sites='all', match={'domain': [MASTER]}, max_sessions=3),
        close(api, 'alice, max 1', ignore_errors=True, sites='all', user=['alice'], domain=MASTER, max_sessions=1),
        # alice has two sessions (ALICE_1 listed twice is one session): the limit is not exceeded
        close(api, 'alice, max 2', sites='all', user=['alice'], domain=MASTER, max_sessions=2),
    ])
    assert run.rc == 0, run.describe()
    for name in ('whole master domain, max 3', 'alice, max 1'):
        task = run.task(name)
        assert task['status'] == 'failed', (name, task)
        assert 'max_sessions' in task['result']['msg'], task['result']['msg']
        assert task['result'].get('changed') is False and not task['result'].get('closed'), task
    assert_entries(run.result('alice, max 2')['closed'], ALICE_MASTER)
    state = api.state()
    assert writes(state) == [('POST', SESSIONS_PATH)]
    assert open_keys(state) == remaining_after(ALICE_MASTER)


def _assert_partial_failure(task, state, failed_target, kind, method, path, closed):
    assert task['status'] == 'failed', task
    data = task['result']
    assert len(data['failed_targets']) == 1, data['failed_targets']
    failure = data['failed_targets'][0]
    assert failure['target'] == failed_target and failure['type'] == kind and failure['status'] == 500, failure
    assert method in failure['error'] and path in failure['error'] and '500' in failure['error'], failure
    assert failed_target in data['msg'] and '500' in data['msg'], data['msg']
    assert data['counts']['failed_targets'] == 1
    assert_entries(data['closed'], closed)
    # closed lists only what is really gone per the emulator
    still_open = set(open_keys(state))
    assert not set(keys(data['closed'])) & still_open
    assert data['changed'] is True


def test_some_session_ids_fail(api, run_playbook):
    api.set_faults({'fail_sessions': [BOB_1]})
    run = run_playbook([close(api, 'three ids, one fails', ignore_errors=True, sites='all', session_id=[ALICE_1, BOB_1, CAROL_1])])
    assert run.rc == 0, run.describe()
    state = api.state()
    _assert_partial_failure(run.task('three ids, one fails'), state, BOB_1, 'session_id', 'DELETE', delete_path(BOB_1), of(ALICE_1, CAROL_1))
    assert open_keys(state) == remaining_after(of(ALICE_1, CAROL_1))
    assert set(writes(state)) == {('DELETE', delete_path(session_id)) for session_id in (ALICE_1, BOB_1, CAROL_1)}


def test_some_users_fail(api, run_playbook):
    api.set_faults({'fail_users': ['bob']})
    run = run_playbook([close(api, 'three users, one fails', ignore_errors=True, sites='all', user=['alice', 'bob', 'carol'], domain=MASTER)])
    assert run.rc == 0, run.describe()
    state = api.state()
    _assert_partial_failure(run.task('three users, one fails'), state, 'bob', 'user', 'POST', SESSIONS_PATH, ALICE_MASTER + CAROL_ALL)
    assert open_keys(state) == remaining_after(ALICE_MASTER, CAROL_ALL)
    assert sorted(body['user'] for body in post_bodies(state)) == ['alice', 'bob', 'carol']


def test_slash_in_id_and_id_listed_twice(api, run_playbook):
    run = run_playbook([
        close(api, 'id with a slash', sites='all', session_id=[SLASH_ID]),
        close(api, 'http and websocket twin', sites='all', session_id=[ALICE_1]),
    ]).assert_ok()
    assert_entries(run.result('id with a slash')['closed'], of(SLASH_ID))
    twin = run.result('http and websocket twin')
    assert_entries(twin['closed'], of(ALICE_1))
    assert twin['counts'] == counts_of(of(ALICE_1))
    assert twin['counts']['total'] == 1 and twin['counts']['entries'] == 2
    state = api.state()
    assert writes(state) == [('DELETE', SESSIONS_PATH + '/legacy%2Fsession%2F0001'), ('DELETE', delete_path(ALICE_1))]
    assert all(entry['status'] == 204 for entry in state['requests'] if entry['method'] == 'DELETE')
    assert open_keys(state) == remaining_after(of(SLASH_ID, ALICE_1))


@pytest.mark.parametrize('sites, sent, session_ids, closed', [
    (['east', 'west'], ['east', 'west'], [ALICE_2, BOB_WS], of(ALICE_2, BOB_WS) + of(CAROL_2) + of(DAVE_2, EVE_1)),
    ('east', ['east'], [ALICE_2], of(ALICE_2) + of(CAROL_2) + of(EVE_1)),
    (None, None, [BOB_1], of(BOB_1) + of(CAROL_1) + of(DAVE_1)),
])
def test_sites_sent_with_every_request(api, run_playbook, sites, sent, session_ids, closed):
    run = run_playbook([
        close(api, 'by id', sites=sites, session_id=session_ids),
        close(api, 'by user', sites=sites, user=['carol'], domain=MASTER),
        close(api, 'by match', sites=sites, match={'login': ['dave', 'eve'], 'domain': [BRANCH]}),
    ]).assert_ok()
    got = []
    for name in ('by id', 'by user', 'by match'):
        result = run.result(name)
        assert result['sites'] == sent, (name, result['sites'])
        got += result['closed']
    assert_entries(got, closed)
    state = api.state()
    methods = sorted(set(entry['method'] for entry in state['requests']))
    assert methods == ['DELETE', 'GET', 'POST'], methods
    query = '' if sent is None else encoded('["%s"]' % '","'.join(sent))
    site_of = {entry['session_id']: entry['site'] for entry in SESSIONS}
    for entry in state['requests']:
        if entry['method'] == 'POST':
            assert entry['query'] == '', entry
            if sent is None:
                assert 'sites' not in entry['body'], entry
            else:
                assert entry['body']['sites'] == sent, entry
        elif entry['method'] == 'GET':
            assert entry['query'] == query, entry
            assert api.sites_query(entry) == sent, entry
        else:
            # A DELETE carries the narrowest scope: the site of the session it closes, within the scope.
            session_id = unquote(entry['path'].rsplit('/', 1)[1])
            assert api.sites_query(entry) == [site_of[session_id]], entry
            assert sent is None or site_of[session_id] in sent
    assert open_keys(state) == remaining_after(closed)


def test_parameter_errors_send_nothing(api, run_playbook):
    cases = [
        ('session_id and user', dict(session_id=[BOB_1], user=['bob'], domain=MASTER), ['mutually exclusive', 'session_id', 'user']),
        ('session_id and match', dict(session_id=[BOB_1], match={'login': ['bob']}), ['mutually exclusive', 'session_id', 'match']),
        ('user without domain', dict(user=['bob']), ['domain', 'user']),
        ('domain without user', dict(session_id=[BOB_1], domain=MASTER), ['domain']),
        ('no target', dict(sites='all'), ['session_id', 'user', 'match']),
        ('sites as a number', dict(session_id=[BOB_1], sites=5), ['sites']),
        ('sites as an empty list', dict(session_id=[BOB_1], sites=[]), ['sites', 'empty']),
        ('empty id', dict(session_id=['']), ['session_id']),
        ('dot-dot id', dict(session_id=['..']), ['session_id', '..']),
        ('id with a space', dict(session_id=['16d72c4c 0176']), ['session_id', 'whitespace']),
        ('empty session_id list', dict(session_id=[]), ['session_id']),
        ('empty match', dict(match={}), ['match']),
        ('match with only empty lists', dict(match={'login': []}), ['match']),
        ('match with a bad session_type', dict(match={'session_type': ['ftp']}), ['session_type', 'ftp']),
        ('empty user list', dict(user=[], domain=MASTER), ['user']),
        ('concurrency 0', dict(session_id=[BOB_1], concurrency=0), ['concurrency']),
        ('max_sessions -1', dict(session_id=[BOB_1], max_sessions=-1), ['max_sessions']),
    ]
    run = run_playbook([close(api, name, ignore_errors=True, **options) for name, options, _words in cases])
    assert run.rc == 0, run.describe()
    for name, _options, words in cases:
        task = run.task(name)
        assert task['status'] == 'failed', (name, task)
        msg = task['result']['msg']
        for word in words:
            assert word in msg, (name, word, msg)
        assert 'Traceback' not in msg and 'module_stderr' not in task['result'], (name, task)
    # the module's own checks name the parameter first
    for name, param in (('sites as a number', 'sites'), ('empty id', 'session_id'), ('dot-dot id', 'session_id'),
                        ('id with a space', 'session_id'), ('empty match', 'match'), ('concurrency 0', 'concurrency')):
        assert run.result(name)['msg'].startswith(param + ': '), (name, run.result(name)['msg'])
    state = api.state()
    assert state['counters']['total'] == 0, state['counters']
    assert state['requests'] == []


def test_token_never_shown(api, run_playbook):
    api.set_faults({'fail_sessions': [BOB_1]})
    run = run_playbook([
        close(api, 'failing', ignore_errors=True, token='{{ ws_token }}', sites='all', session_id=[BOB_1]),
        close(api, 'succeeding', token='{{ ws_token }}', sites='all', session_id=[ALICE_1]),
    ], verbosity=3, extra_vars={'ws_token': TOKEN})
    assert run.rc == 0, run.describe()
    assert run.task('failing')['status'] == 'failed'
    assert run.task('succeeding')['status'] == 'changed'
    assert_entries(run.result('succeeding')['closed'], of(ALICE_1))
    assert TOKEN not in run.playbook
    for where, text in (('stdout', run.stdout), ('stderr', run.stderr), ('results', run.results_text)):
        assert TOKEN not in text, where
    # the run was verbose enough to show the module arguments
    assert 'session_id' in run.stdout


def test_wait_ignores_relogin_sessions(api, run_playbook):
    api.set_faults({'relogin_after': 0, 'relogin_users': ['alice']})
    run = run_playbook([close(api, 'alice logs in again at once', sites='all', user=['alice'], domain=MASTER, wait=True, wait_timeout=20)])
    run.assert_ok()
    data = run.result('alice logs in again at once')
    assert_entries(data['closed'], ALICE_MASTER)
    # Waiting for the new session too would end at wait_timeout with it in remaining and a failure.
    assert data['remaining'] == [] and data['spared'] == [] and data['failed_targets'] == []
    assert not data.get('failed') and 'timed out' not in data.get('msg', '')
    state = api.state()
    fresh = [entry for entry in state['sessions'] if (entry['session_id'], entry['session_type']) not in ENTRY]
    assert len(fresh) == 1 and fresh[0]['login'] == 'alice' and fresh[0]['domain'] == MASTER, fresh
    assert sorted(key for key in open_keys(state) if key in ENTRY) == remaining_after(ALICE_MASTER)
