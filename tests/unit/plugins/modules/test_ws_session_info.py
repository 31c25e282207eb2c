# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.incoplax.platform.plugins.modules import ws_session_info

SESSIONS = [
    {'session_id': 's1', 'login': 'alice', 'site': 'central', 'session_type': 'http', 'domain': 'd'},
    {'session_id': 's1', 'login': 'alice', 'site': 'central', 'session_type': 'websocket', 'domain': 'd',
     'connections': [{'conn_id': 'c1', 'is_pid_alive': False, 'node': 'ws1@h', 'pid': '<0.1.0>'}]},
    {'session_id': 's2', 'login': 'bob', 'site': 'east', 'session_type': 'http', 'domain': 'd'},
]


@pytest.fixture(autouse=True)
def no_incoplax_env(monkeypatch):
    for name in ('INCOPLAX_URL', 'INCOPLAX_TOKEN', 'INCOPLAX_USERNAME', 'INCOPLAX_PASSWORD'):
        monkeypatch.delenv(name, raising=False)


def args(server, **extra):
    base = {'url': server.url, 'token': 'tok-123', 'retries': 0}
    base.update(extra)
    return base


def test_lists_filters_and_summarises(server, run_module):
    server.add(json_body=SESSIONS)
    code, result = run_module(ws_session_info.main, args(server, sites='all', login=['alice']))
    assert code == 0
    assert result['changed'] is False
    assert result['sessions'] == SESSIONS[:2]
    assert result['summary']['total'] == 2 and result['summary']['unique_session_ids'] == 1
    assert result['sites'] == 'all'
    assert server.requests[0]['path'].endswith('?sites=%22all%22')


def test_one_site_name_is_sent_as_a_list(server, run_module):
    code, result = run_module(ws_session_info.main, args(server, sites='east'))
    assert code == 0 and result['sites'] == ['east']
    assert server.requests[0]['path'].endswith('?sites=%5B%22east%22%5D')


@pytest.mark.parametrize('extra, fragment', [
    ({'sites': 7}, 'sites:'),
    ({'sites': []}, 'sites:'),
    ({'sites': {'a': 'b'}}, 'sites:'),
    ({'timeout': 0}, 'timeout:'),
])
def test_bad_input_fails_before_any_request(server, run_module, extra, fragment):
    code, result = run_module(ws_session_info.main, args(server, **extra))
    assert code == 1 and result['failed'] is True
    assert result['msg'].startswith(fragment)
    assert server.requests == []


def test_api_error_is_reported_without_the_token(server, run_module):
    server.add(status=401, json_body={'error': 'bad token tok-123'})
    code, result = run_module(ws_session_info.main, args(server))
    assert code == 1
    assert 'HTTP 401' in result['msg']
    assert result['error']['status'] == 401
    assert 'tok-123' not in repr(result)


def test_token_and_username_are_mutually_exclusive(server, run_module):
    code, result = run_module(ws_session_info.main, args(server, username='u', password='p'))
    assert code == 1 and 'mutually exclusive' in result['msg']
    assert server.requests == []


def test_missing_requests_library_is_reported(server, run_module, monkeypatch):
    from ansible_collections.incoplax.platform.plugins.module_utils import _module  # pylint: disable=import-outside-toplevel
    monkeypatch.setattr(_module, 'HAS_REQUESTS', False)
    code, result = run_module(ws_session_info.main, args(server))
    assert code == 1 and 'requests' in result['msg']
