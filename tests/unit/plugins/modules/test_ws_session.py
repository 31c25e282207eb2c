# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.incoplax.platform.plugins.modules import ws_session

SESSIONS = [
    {'session_id': 's1', 'login': 'alice', 'user_id': 'u-a', 'site': 'central', 'session_type': 'http', 'domain': 'd'},
    {'session_id': 's2', 'login': 'bob', 'user_id': 'u-b', 'site': 'east', 'session_type': 'http', 'domain': 'd'},
    {'session_id': 's3', 'login': 'root', 'user_id': 'u-r', 'site': 'east', 'session_type': 'http', 'domain': 'd'},
]


@pytest.fixture(autouse=True)
def no_incoplax_env(monkeypatch):
    for name in ('INCOPLAX_URL', 'INCOPLAX_TOKEN', 'INCOPLAX_USERNAME', 'INCOPLAX_PASSWORD'):
        monkeypatch.delenv(name, raising=False)


def args(server, **extra):
    # SESSIONS spans two sites: with the default scope (the current site) the listing would be refused.
    base = {'url': server.url, 'token': 'tok-123', 'retries': 0, 'wait_timeout': 2, 'sites': 'all'}
    base.update(extra)
    return base


@pytest.mark.parametrize('extra, fragment', [
    ({'session_id': ['s1'], 'user': ['alice'], 'domain': 'd'}, 'mutually exclusive'),
    ({'user': ['alice']}, 'domain'),
    ({'session_id': ['..']}, 'session_id:'),
    ({'session_id': ['']}, 'session_id:'),
    ({'session_id': ['a b']}, 'session_id:'),
    ({'session_id': []}, 'session_id:'),
    ({'match': {}}, 'match:'),
    ({'match': {'login': []}}, 'match.login:'),
    ({'user': [['alice', 'bob']], 'domain': 'd'}, 'user:'),
    ({'user': [None], 'domain': 'd'}, 'user:'),
    ({'match': {'session_type': ['ftp']}}, 'session_type'),
    ({'session_id': ['s1'], 'sites': 3}, 'sites:'),
    ({'session_id': ['s1'], 'domain': 'd'}, 'domain:'),
    ({'session_id': ['s1'], 'concurrency': 0}, 'concurrency:'),
    ({}, 'one of the following is required'),
])
def test_bad_input_fails_before_any_request(server, run_module, extra, fragment):
    code, result = run_module(ws_session.main, args(server, **extra))
    assert code == 1
    assert fragment in result['msg']
    assert server.requests == []


@pytest.mark.parametrize('user, protected', [('u-r', 'root'), ('root', 'root'), ('ROOT', 'root'), ('root', 'U-R')])
def test_protected_user_fails_after_the_listing_only(server, run_module, user, protected):
    server.add(json_body=SESSIONS)
    code, result = run_module(ws_session.main, args(server, user=[user], domain='d', protected_users=[protected]))
    assert code == 1 and 'protected' in result['msg'] and 'nothing was closed' in result['msg']
    assert [r['method'] for r in server.requests] == ['GET']
    # The listing is known: what the named target still has open is reported (ROOT names no listed account).
    assert [e['session_id'] for e in result['remaining']] == ([] if user == 'ROOT' else ['s3'])
    assert result['closed'] == []


def test_max_sessions_guard_closes_nothing(server, run_module):
    server.add(json_body=SESSIONS)
    code, result = run_module(ws_session.main, args(server, match={'domain': ['d']}, max_sessions=2))
    assert code == 1 and result['msg'].startswith('max_sessions: 3 sessions would be closed')
    assert [r['method'] for r in server.requests] == ['GET']


def test_check_mode_sends_only_the_listing(server, run_module):
    server.add(json_body=SESSIONS)
    module_args = args(server, user=['alice', 'bob'], domain='d', _ansible_check_mode=True, _ansible_diff=True)
    code, result = run_module(ws_session.main, module_args)
    assert code == 0 and result['changed'] is True
    assert [e['session_id'] for e in result['closed']] == ['s1', 's2']
    assert [r['method'] for r in server.requests] == ['GET']
    assert [s['session_id'] for s in result['diff']['before']['sessions']] == ['s1', 's2']
    assert result['diff']['after']['sessions'] == []


def test_logout_posts_per_user_and_verifies(server, run_module):
    server.add(json_body=SESSIONS)
    server.add(json_body={'status': 'logged out all sessions but current'})
    server.add(json_body={'status': 'logged out all sessions but current'})
    server.add(json_body=SESSIONS[2:])
    module_args = args(server, user=['alice', 'u-b'], domain='d', sites='all', concurrency=1)
    code, result = run_module(ws_session.main, module_args)
    assert code == 0 and result['changed'] is True
    assert result['counts']['total'] == 2 and result['counts']['by_site'] == {'central': 1, 'east': 1}
    posts = [json.loads(r['body']) for r in server.requests if r['method'] == 'POST']
    assert posts == [{'action': 'logout', 'domain': 'd', 'user': 'alice', 'sites': 'all'},
                     {'action': 'logout', 'domain': 'd', 'user': 'u-b', 'sites': 'all'}]


def test_nothing_open_means_no_change_and_no_write(server, run_module):
    server.add(json_body=SESSIONS)
    code, result = run_module(ws_session.main, args(server, session_id=['nope']))
    assert code == 0 and result['changed'] is False
    assert result['not_open'] == ['nope']
    assert [r['method'] for r in server.requests] == ['GET']


def test_failed_target_fails_the_task_and_reports_the_rest(server, run_module):
    server.add(json_body=SESSIONS)
    server.add(status=500, json_body={'error': 'injected'})
    server.add(status=204)
    server.add(json_body=[SESSIONS[0], SESSIONS[2]])
    code, result = run_module(ws_session.main, args(server, session_id=['s1', 's2'], concurrency=1))
    assert code == 1
    assert result['failed_targets'][0]['target'] == 's1' and result['failed_targets'][0]['status'] == 500
    assert 'session_id s1' in result['msg'] and 'injected' in result['msg']
    assert [e['session_id'] for e in result['closed']] == ['s2']
    assert 'tok-123' not in json.dumps(result)


def test_failed_listing_after_closing_claims_nothing_and_keeps_what_was_sent(server, run_module):
    server.add(json_body=SESSIONS)
    server.add(status=204)
    server.add(status=500, json_body={'error': 'listing broke'})
    code, result = run_module(ws_session.main, args(server, session_id=['s1']))
    assert code == 1
    assert result['closed'] == [] and result['changed'] is True
    assert [e['session_id'] for e in result['unverified']] == ['s1']
    assert 'nothing is confirmed closed' in result['msg'] and 'listing broke' in result['msg']
