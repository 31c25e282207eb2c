# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.incoplax.platform.plugins.action import forced_logout_run as run_action
from ansible_collections.incoplax.platform.plugins.plugin_utils import _forced_logout, _record

SESSIONS = [
    {'session_id': 's1', 'login': 'alice', 'user_id': 'u-a', 'site': 'central', 'session_type': 'http', 'domain': 'd'},
    {'session_id': 's2', 'login': 'bob', 'user_id': 'u-b', 'site': 'east', 'session_type': 'http', 'domain': 'd'},
    {'session_id': 's3', 'login': 'root', 'user_id': 'u-r', 'site': 'east', 'session_type': 'http', 'domain': 'd'},
]
LOGGED_OUT = {'status': 'logged out all sessions but current'}
ENV_NAMES = ('INCOPLAX_URL', 'INCOPLAX_TOKEN', 'INCOPLAX_USERNAME', 'INCOPLAX_PASSWORD', 'INCOPLAX_CALLER')


@pytest.fixture(autouse=True)
def no_incoplax_env(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    # Facts are returned as ansible_facts here, as on ansible-core before 2.21 without a facts file.
    monkeypatch.setattr(_record, 'VariableLayer', None)


def action(args, check_mode=False, diff=False, environment=None):
    task = mock.MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = check_mode
    task.environment = environment
    task.action = 'incoplax.platform.forced_logout_run'
    play_context = mock.MagicMock()
    play_context.check_mode = check_mode
    play_context.diff = diff
    templar = mock.MagicMock()
    templar.template.side_effect = lambda value: value
    return run_action.ActionModule(task=task, connection=mock.MagicMock(), play_context=play_context, loader=None,
                                   templar=templar, shared_loader_obj=None)


def connection(server):
    return {'url': server.url, 'token': 'tok-123', 'retries': 0}


def base(server, **extra):
    args = dict(connection(server), users=['alice', 'u-b'], domain='d', sites='all', wait_timeout=2,
                ticket='INC-9', started_at='2026-11-29T10:00:00Z', cluster='east')
    args.update(extra)
    return args


def methods(server):
    return [request['method'] for request in server.requests]


def report_of(result):
    return result['ansible_facts']['forced_logout_result']


def test_closes_verifies_and_records_in_one_step(server, tmp_path):
    server.add(json_body=SESSIONS)
    server.add(json_body=LOGGED_OUT)
    server.add(json_body=LOGGED_OUT)
    server.add(json_body=SESSIONS[2:])   # the close's own listing after the logouts
    server.add(json_body=SESSIONS[2:])   # the verification
    result = action(base(server, report_dir=str(tmp_path), report_name='INC-9')).run(task_vars={})
    assert methods(server) == ['GET', 'POST', 'POST', 'GET', 'GET']
    posts = sorted(json.loads(request['body'])['user'] for request in server.requests if request['method'] == 'POST')
    assert posts == ['alice', 'u-b']
    assert result['changed'] is True and not result.get('failed')
    report = report_of(result)
    assert report['outcome'] == 'contained' and report['failure'] is None
    assert [entry['session_id'] for entry in report['closed']] == ['s1', 's2'] and report['remaining'] == []
    # Known from the action's own options, whatever set them (module_defaults included).
    assert report['platform'] == server.url and report['passes'] == 1 and report['finished_at']
    evidence = json.loads(open(result['ansible_facts']['forced_logout_evidence_files']['json']).read())
    assert evidence == json.loads(_forced_logout.evidence_json(report))
    # No form of the token in what the action returns.
    assert 'tok-123' not in json.dumps(result)


def test_check_mode_only_lists_and_records_a_dry_run(server):
    server.add(json_body=SESSIONS)
    result = action(base(server), check_mode=True, diff=True).run(task_vars={})
    assert methods(server) == ['GET']
    report = report_of(result)
    assert result['changed'] is False and report['outcome'] == 'dry_run' and report['check_mode'] is True
    assert [entry['session_id'] for entry in report['closed']] == ['s1', 's2']
    assert [s['session_id'] for s in result['diff']['before']['sessions']] == ['s1', 's2']


def test_plan_mode_is_a_dry_run_that_makes_the_plan(server):
    server.add(json_body=SESSIONS)
    result = action(base(server, mode='plan', max_sessions=5)).run(task_vars={})
    assert methods(server) == ['GET']
    facts = result['ansible_facts']
    assert facts['forced_logout_plan']['session_count'] == 2 and facts['forced_logout_plan']['max_sessions'] == 5
    assert report_of(result)['outcome'] == 'dry_run'


def test_a_refused_close_is_recorded_with_its_step_and_nothing_is_sent(server):
    server.add(json_body=SESSIONS)
    result = action(base(server, users=['root'], protected_users=['ROOT'])).run(task_vars={})
    assert methods(server) == ['GET']
    report = report_of(result)
    assert not result.get('failed') and report['outcome'] == 'failed'
    assert report['failure'].startswith(run_action.CLOSE_STEP + ': ') and 'protected' in report['failure']


@pytest.mark.parametrize('bad, named', [
    ({'url': None}, 'url'),
    ({'token': None}, 'token'),
    ({'timeout': 'soon'}, 'timeout'),
    ({'url': 'https://me:tok-123@platform.example'}, 'url'),
])
def test_bad_connection_options_fail_the_close_before_any_request(server, bad, named):
    args = base(server)
    args.update(bad)
    result = action(dict((key, value) for key, value in args.items() if value is not None)).run(task_vars={})
    report = report_of(result)
    assert server.requests == [] and report['outcome'] == 'failed' and report['before'] is None
    assert report['failure'].startswith(run_action.CLOSE_STEP + ': ') and named in report['failure']
    assert 'tok-123' not in json.dumps(result)


def test_the_task_environment_reaches_the_fallbacks(server, monkeypatch):
    server.add(json_body=[])
    server.add(json_body=[])
    args = dict((key, value) for key, value in base(server).items() if key not in ('url', 'token'))
    plugin = action(args, environment=[{'INCOPLAX_URL': server.url, 'INCOPLAX_TOKEN': 'tok-env'}])
    monkeypatch.setattr(os, 'environ', dict(os.environ))   # the worker's environment, not this test process's
    result = plugin.run(task_vars={})
    assert methods(server) == ['GET', 'GET'] and report_of(result)['outcome'] == 'contained'
    assert server.requests[0]['headers'].get('Authorization') == 'Bearer tok-env'


def test_an_earlier_failure_is_recorded_and_nothing_is_sent(server):
    result = action(base(server, failure='Refuse a plan that is not the approved one: refused')).run(task_vars={})
    report = report_of(result)
    assert server.requests == [] and report['failure'] == 'Refuse a plan that is not the approved one: refused'
    assert report['outcome'] == 'failed' and report['before'] is None and result['changed'] is False


def test_sweeps_close_what_came_back_then_verify(server):
    sleeps = []
    server.add(json_body=SESSIONS)
    server.add(json_body=LOGGED_OUT)
    server.add(json_body=SESSIONS[2:])
    server.add(json_body=SESSIONS)           # pass 2: alice logged back in
    server.add(json_body=LOGGED_OUT)
    server.add(json_body=SESSIONS[1:])
    server.add(json_body=SESSIONS[1:])       # the verification
    plugin = action(base(server, users=['alice'], sweeps=2, sweep_interval=0.5))
    with mock.patch.object(run_action.time, 'sleep', sleeps.append):
        result = plugin.run(task_vars={})
    assert sleeps == [0.5] and methods(server) == ['GET', 'POST', 'GET', 'GET', 'POST', 'GET', 'GET']
    report = report_of(result)
    assert report['outcome'] == 'contained' and report['passes'] == 2 and report['counts']['closed_by_sweeps'] == 1


def test_a_failed_sweep_ends_the_steps_and_is_recorded(server):
    server.add(json_body=SESSIONS)
    server.add(json_body=LOGGED_OUT)
    server.add(json_body=SESSIONS[1:])
    server.add(status=500, json_body={'error': 'boom'})
    plugin = action(base(server, users=['alice'], sweeps=3, sweep_interval=0))
    result = plugin.run(task_vars={})
    assert methods(server) == ['GET', 'POST', 'GET', 'GET']
    report = report_of(result)
    assert report['outcome'] == 'failed' and report['failure'].startswith(run_action.SWEEP_STEP % 2 + ': ')
    assert [entry['session_id'] for entry in report['closed']] == ['s1']


@pytest.mark.parametrize('bad', [{'users': None}, {'sweeps': 'many'}, {'report_dir': '/tmp/x'}, {'colour': 'red'}])
def test_bad_own_options_fail_the_task(server, bad):
    args = base(server, **bad)
    if args.get('users', '') is None:
        del args['users']
    with pytest.raises(AnsibleActionFail):
        action(args).run(task_vars={})
    assert server.requests == []
