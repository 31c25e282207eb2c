# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Integration tests of incoplax.platform.ws_session_info: real ansible-playbook, real emulator."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import functools
from urllib.parse import quote

import pytest

from incoplax_testing.playbook import module_task  # pylint: disable=import-error
from incoplax_testing import cast  # pylint: disable=import-error
from incoplax_testing.cast import (  # pylint: disable=import-error
    SESSIONS_PATH, MASTER, BRANCH, ADMIN_ID, ALICE_ID, ALICE_BRANCH_ID, BOB_ID, ALIVE, DEAD)

# The entries of this file live 36000 s unless said otherwise.
entry = functools.partial(cast.entry, ttl=36000)

MODULE = 'incoplax.platform.ws_session_info'


# ALICE_1 is listed twice on central: once as http, once as websocket.
ALICE_1 = '16d72c4c-0176-99e7-5545-e0d55e0cd301'
ALICE_2 = '16d72c4c-0176-99e7-5545-e0d55e0cd302'
ALICE_BRANCH = '16d72c4c-0176-99e7-5545-e0d55e0cd303'
BOB_1 = '16d72c4c-0176-99e7-5545-e0d55e0cd304'
BOB_WS = '16d72c4c-0176-99e7-5545-e0d55e0cd305'
ADMIN_1 = '16d72c4c-0176-99e7-5545-e0d55e0cd306'
ADMIN_2 = '16d72c4c-0176-99e7-5545-e0d55e0cd307'


FIXTURE = cast.fixture([
    entry(ALICE_1, 'alice', user_id=ALICE_ID),
    entry(ALICE_1, 'alice', 'central', 'websocket', user_id=ALICE_ID, connections=[ALIVE]),
    cast.entry(ALICE_2, 'alice', 'east', user_id=ALICE_ID, ttl=20000),
    entry(BOB_1, 'bob', 'east', user_id=BOB_ID),
    entry(BOB_WS, 'bob', 'west', 'websocket', user_id=BOB_ID, connections=[DEAD]),
    entry(ADMIN_1, 'admin', user_id=ADMIN_ID),
    entry(ADMIN_2, 'admin', 'west', user_id=ADMIN_ID),
    entry(ALICE_BRANCH, 'alice', user_id=ALICE_BRANCH_ID, domain=BRANCH),
])

# (session_id, session_type, domain) of every entry, by the scope that lists it
CENTRAL = [(ALICE_1, 'http', MASTER), (ALICE_1, 'websocket', MASTER), (ADMIN_1, 'http', MASTER), (ALICE_BRANCH, 'http', BRANCH)]
EAST = [(ALICE_2, 'http', MASTER), (BOB_1, 'http', MASTER)]
WEST = [(BOB_WS, 'websocket', MASTER), (ADMIN_2, 'http', MASTER)]
ALL = CENTRAL + EAST + WEST


@pytest.fixture
def api(emulator):
    """The shared emulator holding exactly FIXTURE, counters at zero."""
    emulator.load(copy.deepcopy(FIXTURE))
    state = emulator.state()
    assert len(state['sessions']) == len(FIXTURE['sessions'])
    assert state['counters']['total'] == 0
    return emulator


def info(name, emulator=None, ignore_errors=False, **options):
    """A ws_session_info task; url and token point at ``emulator`` unless given (None drops an option)."""
    args = {} if emulator is None else dict(url=emulator.url, token=emulator.token)
    args.update(options)
    return module_task(name, MODULE, args, ignore_errors)


def keys(sessions):
    return sorted((entry['session_id'], entry['session_type'], entry['domain']) for entry in sessions)


def without_ttl(sessions):
    return sorted(({key: value for key, value in entry.items() if key != 'ttl'} for entry in sessions),
                  key=lambda entry: (entry['session_id'], entry['session_type'], entry['domain']))


def reference(state, sites=None, **filters):
    """What the module must return, computed from the emulator's own state.

    ``sites``: None for the API default (current site), 'all', or a list of site names.
    """
    if sites is None:
        scope = {state['current_site']}
    elif sites == 'all':
        scope = set(state['sites'])
    else:
        scope = set(sites)
    entries = [entry for entry in state['sessions'] if entry['site'] in scope]
    for key, values in filters.items():
        entries = [entry for entry in entries if entry[key] in values]
    return entries


def assert_same_sessions(got, want):
    """Same entries (every field, connections included); ttl as live values, read a moment apart."""
    assert without_ttl(got) == without_ttl(want)
    got_ttl = {(e['session_id'], e['session_type'], e['domain']): e['ttl'] for e in got}
    for entry in want:
        ttl = got_ttl[(entry['session_id'], entry['session_type'], entry['domain'])]
        assert isinstance(ttl, int) and not isinstance(ttl, bool)
        # The module read first, the state a few seconds later: a ttl only goes down.
        assert 0 <= ttl - entry['ttl'] <= 60, (ttl, entry)


def summary_of(sessions):
    """The expected ``summary`` of a list of entries."""
    def count(field):
        counts = {}
        for entry in sessions:
            counts[entry[field]] = counts.get(entry[field], 0) + 1
        return counts
    return {
        'total': len(sessions),
        'unique_session_ids': len({entry['session_id'] for entry in sessions}),
        'by_site': count('site'),
        'by_login': count('login'),
        'by_type': count('session_type'),
    }


def assert_listing(result, want):
    assert result['status'] == 'ok', result
    data = result['result']
    assert data['changed'] is False
    assert_same_sessions(data['sessions'], want)
    assert data['summary'] == summary_of(want)


def encoded(value):
    """The ``sites`` query the vendor documents: URL-encoded compact JSON."""
    return 'sites=' + quote(value, safe='')


def test_sites_scopes_and_query_encoding(api, run_playbook):
    # task name, sites option, value returned and sent, JSON in the query, expected entries
    scopes = [
        ('sites all', 'all', 'all', '"all"', ALL),
        ('sites current', 'current', 'current', '"current"', CENTRAL),
        ('sites omitted', None, None, None, CENTRAL),
        ('one site name', 'east', ['east'], '["east"]', EAST),
        ('list of sites', ['east', 'west'], ['east', 'west'], '["east","west"]', EAST + WEST),
        ('list with a repeated name', ['west', 'east', 'west'], ['west', 'east'], '["west","east"]', EAST + WEST),
    ]
    run = run_playbook([info(name, api, sites=sites) for name, sites, _sent, _json, _want in scopes]).assert_ok()
    state = api.state()
    requests = state['requests']
    assert [(entry['method'], entry['path'], entry['status']) for entry in requests] == [('GET', SESSIONS_PATH, 200)] * len(scopes)
    assert state['counters']['GET'] == state['counters']['total'] == len(scopes)
    for (name, _sites, sent, json_text, want), request in zip(scopes, requests):
        result = run.task(name)
        assert result['action'] == MODULE
        assert keys(result['result']['sessions']) == sorted(want), name
        assert_listing(result, reference(state, None if sent == 'current' else sent))
        assert result['result']['sites'] == sent, name
        if json_text is None:
            assert request['query'] == '', request
            assert api.sites_query(request) is None
        else:
            assert request['query'] == encoded(json_text), (name, request)
            assert api.sites_query(request) == sent


def test_duplicate_session_ids_and_exact_summary(api, run_playbook):
    run = run_playbook([info('all sessions', api, sites='all')]).assert_ok()
    data = run.result('all sessions')
    assert data['summary'] == {
        'total': 8,
        'unique_session_ids': 7,
        'by_site': {'central': 4, 'east': 2, 'west': 2},
        'by_login': {'admin': 2, 'alice': 4, 'bob': 2},
        'by_type': {'http': 6, 'websocket': 2},
    }
    twins = [entry for entry in data['sessions'] if entry['session_id'] == ALICE_1]
    assert sorted(entry['session_type'] for entry in twins) == ['http', 'websocket']
    by_type = {entry['session_type']: entry for entry in twins}
    assert 'connections' not in by_type['http']
    assert by_type['websocket']['connections'] == [ALIVE]
    dead = [entry for entry in data['sessions'] if entry['session_id'] == BOB_WS]
    assert len(dead) == 1 and dead[0]['connections'] == [DEAD]
    assert dead[0]['connections'][0]['is_pid_alive'] is False
    assert_listing(run.task('all sessions'), reference(api.state(), 'all'))


FILTER_CASES = [
    ('login bob', {'login': ['bob']}, [(BOB_1, 'http', MASTER), (BOB_WS, 'websocket', MASTER)]),
    ('login alice or bob', {'login': ['alice', 'bob']},
     [(ALICE_1, 'http', MASTER), (ALICE_1, 'websocket', MASTER), (ALICE_2, 'http', MASTER), (ALICE_BRANCH, 'http', BRANCH),
      (BOB_1, 'http', MASTER), (BOB_WS, 'websocket', MASTER)]),
    ('user_id of alice in master', {'user_id': [ALICE_ID]},
     [(ALICE_1, 'http', MASTER), (ALICE_1, 'websocket', MASTER), (ALICE_2, 'http', MASTER)]),
    ('user_id of bob or admin', {'user_id': [BOB_ID, ADMIN_ID]},
     [(BOB_1, 'http', MASTER), (BOB_WS, 'websocket', MASTER), (ADMIN_1, 'http', MASTER), (ADMIN_2, 'http', MASTER)]),
    ('domain branch', {'domain': [BRANCH]}, [(ALICE_BRANCH, 'http', BRANCH)]),
    ('domain master or branch', {'domain': [MASTER, BRANCH]}, ALL),
    ('session_id listed twice', {'session_id': [ALICE_1]}, [(ALICE_1, 'http', MASTER), (ALICE_1, 'websocket', MASTER)]),
    ('session_id one or other', {'session_id': [BOB_WS, ADMIN_2, 'not-there']},
     [(BOB_WS, 'websocket', MASTER), (ADMIN_2, 'http', MASTER)]),
    ('session_type websocket', {'session_type': ['websocket']}, [(ALICE_1, 'websocket', MASTER), (BOB_WS, 'websocket', MASTER)]),
    ('session_type both', {'session_type': ['http', 'websocket']}, ALL),
    ('login and domain and type', {'login': ['alice'], 'domain': [MASTER], 'session_type': ['http']},
     [(ALICE_1, 'http', MASTER), (ALICE_2, 'http', MASTER)]),
    ('logins or, type and', {'login': ['alice', 'bob'], 'session_type': ['websocket']},
     [(ALICE_1, 'websocket', MASTER), (BOB_WS, 'websocket', MASTER)]),
    ('login and user_id disagree', {'login': ['bob'], 'user_id': [ALICE_ID]}, []),
    ('unknown login', {'login': ['nobody']}, []),
]


def test_filters(api, run_playbook):
    run = run_playbook([info(name, api, sites='all', **filters) for name, filters, _want in FILTER_CASES]).assert_ok()
    state = api.state()
    assert state['counters']['GET'] == state['counters']['total'] == len(FILTER_CASES)
    for name, filters, want in FILTER_CASES:
        result = run.task(name)
        assert keys(result['result']['sessions']) == sorted(want), name
        assert_listing(result, reference(state, 'all', **filters))
    assert run.result('unknown login')['summary'] == {'total': 0, 'unique_session_ids': 0, 'by_site': {}, 'by_login': {}, 'by_type': {}}


def test_filters_apply_within_the_sites_scope(api, run_playbook):
    run = run_playbook([info('alice on east', api, sites='east', login=['alice'])]).assert_ok()
    assert keys(run.result('alice on east')['sessions']) == [(ALICE_2, 'http', MASTER)]
    assert api.sites_query(api.state()['requests'][0]) == ['east']


def test_check_mode_lists_the_same_and_changes_nothing(api, run_playbook):
    tasks = [
        info('in check mode', api, sites='all'),
        dict(info('not in check mode', api, sites='all'), check_mode=False),
    ]
    run = run_playbook(tasks, check=True, diff=True).assert_ok()
    checked, normal = run.task('in check mode'), run.task('not in check mode')
    assert checked['status'] == 'ok' and checked['result']['changed'] is False
    assert without_ttl(checked['result']['sessions']) == without_ttl(normal['result']['sessions'])
    assert checked['result']['summary'] == normal['result']['summary']
    state = api.state()
    assert_listing(checked, reference(state, 'all'))
    assert state['counters']['POST'] == 0 and state['counters']['DELETE'] == 0
    assert state['counters']['GET'] == state['counters']['total'] == 2
    assert len(state['sessions']) == len(FIXTURE['sessions'])


def test_bad_input_fails_before_any_request(api, run_playbook):
    url = api.url
    token = api.token
    cases = [
        ('sites as a number', dict(url=url, token=token, sites=5), 'sites'),
        ('sites as a dict', dict(url=url, token=token, sites={'name': 'east'}), 'sites'),
        ('sites as an empty list', dict(url=url, token=token, sites=[]), 'sites'),
        ('sites as an empty string', dict(url=url, token=token, sites=''), 'sites'),
        ('sites list with an empty name', dict(url=url, token=token, sites=['east', '']), 'sites'),
        ('sites keyword inside a list', dict(url=url, token=token, sites=['all']), 'sites'),
        ('session_type ftp', dict(url=url, token=token, session_type=['ftp']), 'session_type'),
        ('empty login', dict(url=url, token=token, login=['']), 'login'),
        ('missing url', dict(token=token), 'url'),
        ('token and username', dict(url=url, token=token, username='admin', password='admin-password'), 'username'),
        ('username without password', dict(url=url, username='admin'), 'password'),
        ('neither token nor username', dict(url=url), 'token'),
        ('timeout 0', dict(url=url, token=token, timeout=0), 'timeout'),
        ('retries -1', dict(url=url, token=token, retries=-1), 'retries'),
        ('url without scheme', dict(url=url.split('://', 1)[1], token=token), 'url'),
    ]
    run = run_playbook([info(name, ignore_errors=True, **options) for name, options, _param in cases])
    assert run.rc == 0, run.describe()
    for name, _options, param in cases:
        result = run.task(name)
        assert result['status'] == 'failed', (name, result)
        msg = result['result']['msg']
        assert param in msg, (name, msg)
        assert 'Traceback' not in msg and 'module_stderr' not in result['result'], (name, result)
    # the exact wording of a few, so a generic message cannot pass
    assert run.result('sites as a number')['msg'].startswith('sites: ')
    assert run.result('url without scheme')['msg'].startswith('url: ')
    assert 'at least 1' in run.result('timeout 0')['msg']
    assert 'mutually exclusive' in run.result('token and username')['msg']
    assert 'ftp' in run.result('session_type ftp')['msg']
    counters = api.counters()
    assert counters['total'] == 0, counters
    assert api.requests() == []


def test_wrong_credentials_fail_with_401_and_never_leak(api, run_playbook):
    bad_token = 'wrong-T0ken-7f3a9c1e55'
    bad_password = 'wrong-Passw0rd-c0ffee42'
    # Secrets come from extra vars, as from a vault: with a literal in the playbook, ansible-core 2.19+
    # itself would quote it in the "Origin:" excerpt of the error.
    tasks = [
        info('wrong token', url=api.url, token='{{ bad_token }}', ignore_errors=True),
        info('wrong password', url=api.url, username=api.username, password='{{ bad_password }}', ignore_errors=True),
    ]
    run = run_playbook(tasks, verbosity=3, extra_vars={'bad_token': bad_token, 'bad_password': bad_password})
    assert run.rc == 0, run.describe()
    for name in ('wrong token', 'wrong password'):
        result = run.task(name)
        assert result['status'] == 'failed', result
        assert '401' in result['result']['msg'] and SESSIONS_PATH in result['result']['msg'], result
        assert result['result']['changed'] is False
    for secret in (bad_token, bad_password):
        assert secret not in run.stdout
        assert secret not in run.stderr
        assert secret not in run.results_text
    counters = api.counters()
    assert counters['GET'] == counters['total'] == 2
    assert counters['by_status'] == {'401': 2}


def test_basic_auth(api, run_playbook):
    tasks = [
        info('basic auth', url=api.url, username=api.username, password=api.password, sites='all'),
        info('basic auth wrong password', url=api.url, username=api.username, password='not-the-password',
             ignore_errors=True),
    ]
    run = run_playbook(tasks)
    assert run.rc == 0, run.describe()
    assert_listing(run.task('basic auth'), reference(api.state(), 'all'))
    failed = run.task('basic auth wrong password')
    assert failed['status'] == 'failed' and 'HTTP 401' in failed['result']['msg'], failed
    assert api.counters()['by_status'] == {'200': 1, '401': 1}


def test_unreachable_url_fails_clearly(run_playbook, closed_port):
    url = 'http://127.0.0.1:%d' % closed_port
    run = run_playbook([info('closed port', url=url, token='any-token', retries=0, timeout=5, ignore_errors=True)])
    assert run.rc == 0, run.describe()
    result = run.task('closed port')
    assert result['status'] == 'failed', result
    msg = result['result']['msg']
    assert 'GET %s' % SESSIONS_PATH in msg, msg
    assert '127.0.0.1:%d' % closed_port in msg, msg
    assert 'Traceback' not in run.stdout + run.stderr + run.results_text
    assert 'module_stderr' not in result['result'], result


def test_module_defaults_action_group(api, run_playbook):
    play = {
        'module_defaults': {'group/incoplax.platform.ws': {'url': api.url + '/', 'token': api.token}},
        'tasks': [{'name': 'from module_defaults', MODULE: {'sites': 'all'}}],
    }
    run = run_playbook(play).assert_ok()
    assert_listing(run.task('from module_defaults'), reference(api.state(), 'all'))
    assert [entry['path'] for entry in api.requests()] == [SESSIONS_PATH]


@pytest.mark.parametrize('garbage, expected', [
    ('html', 'not JSON'),
    ('empty', 'not JSON'),
    ('object', 'expected a list of sessions'),
    ('missing_fields', 'session_id'),
])
def test_unusable_answer_fails_clearly(api, run_playbook, garbage, expected):
    api.set_faults({'garbage': garbage})
    run = run_playbook([info('garbage answer', api, sites='all', ignore_errors=True)])
    assert run.rc == 0, run.describe()
    result = run.task('garbage answer')
    assert result['status'] == 'failed', result
    msg = result['result']['msg']
    assert expected in msg and 'GET %s' % SESSIONS_PATH in msg, msg
    assert 'Traceback' not in msg and 'module_stderr' not in result['result'], result


def test_connection_from_environment_token(api, run_playbook):
    run = run_playbook([{'name': 'env token', MODULE: {'sites': 'all'}}],
                       env={'INCOPLAX_URL': api.url, 'INCOPLAX_TOKEN': api.token}).assert_ok()
    assert_listing(run.task('env token'), reference(api.state(), 'all'))
    assert api.token not in run.stdout + run.results_text


def test_connection_from_environment_basic(api, run_playbook):
    run = run_playbook([{'name': 'env basic', MODULE: {}}],
                       env={'INCOPLAX_URL': api.url, 'INCOPLAX_USERNAME': api.username,
                            'INCOPLAX_PASSWORD': api.password}).assert_ok()
    assert_listing(run.task('env basic'), reference(api.state()))
    assert api.sites_query(api.requests()[0]) is None


def test_retries_on_503(api, run_playbook):
    # Three injected 503s: the first task (no retries) gets one, the second (retries 3) gets two, then 200.
    api.set_faults({'fail_first': 3})
    tasks = [
        info('no retries', api, retries=0, ignore_errors=True),
        info('three retries', api, retries=3, sites='all'),
    ]
    run = run_playbook(tasks)
    assert run.rc == 0, run.describe()
    failed = run.task('no retries')
    assert failed['status'] == 'failed', failed
    assert 'HTTP 503' in failed['result']['msg'] and SESSIONS_PATH in failed['result']['msg'], failed
    assert failed['result']['error']['status'] == 503
    state = api.state()
    assert_listing(run.task('three retries'), reference(state, 'all'))
    assert state['counters']['GET'] == 4
    assert state['counters']['by_status'] == {'503': 3, '200': 1}
    assert [entry['status'] for entry in state['requests']] == [503, 503, 503, 200]


def test_retries_exhausted(api, run_playbook):
    api.set_faults({'fail_first': 2})
    run = run_playbook([info('one retry', api, retries=1, ignore_errors=True)])
    result = run.task('one retry')
    assert result['status'] == 'failed' and 'HTTP 503' in result['result']['msg'], result
    assert api.counters()['by_status'] == {'503': 2}


def test_current_site_follows_the_answering_node(start_emulator, run_playbook):
    """A dedicated emulator whose current site is east, with seeded data and its own token."""
    east = start_emulator('--current-site', 'east', '--token', 'east-node-token', '--users', '6', '--seed', '7')
    assert east.token == 'east-node-token'
    tasks = [info('default scope', east), info('current scope', east, sites='current'), info('every site', east, sites='all')]
    run = run_playbook(tasks).assert_ok()
    state = east.state()
    assert state['current_site'] == 'east'
    for name in ('default scope', 'current scope'):
        sessions = run.result(name)['sessions']
        assert sessions and {entry['site'] for entry in sessions} == {'east'}, name
        assert_listing(run.task(name), reference(state))
    everything = run.result('every site')
    assert_listing(run.task('every site'), reference(state, 'all'))
    assert everything['summary']['total'] == len(state['sessions']) > len(run.result('default scope')['sessions'])
