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

from ansible.errors import AnsibleError

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
    # Facts are returned as ansible_facts as they are here, as on ansible-core before 2.19 without a facts file.
    monkeypatch.setattr(_record, 'VariableLayer', None)
    monkeypatch.setattr(_record, 'copies_host_facts', lambda: True)


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
    # The verification found no open session of the targets: that is success, never a warning about a typo.
    assert 'warnings' not in result, result.get('warnings')
    # No form of the token in what the action returns.
    assert 'tok-123' not in json.dumps(result)


def test_a_target_without_a_session_is_warned_about_once(server, tmp_path):
    server.add(json_body=SESSIONS)
    server.add(json_body=LOGGED_OUT)
    server.add(json_body=LOGGED_OUT)
    server.add(json_body=SESSIONS[2:])
    server.add(json_body=SESSIONS[2:])
    args = base(server, report_dir=str(tmp_path), report_name='INC-9')
    result = action(dict(args, users=args['users'] + ['ghost'])).run(task_vars={})
    assert report_of(result)['not_open'] == ['ghost']
    assert result['warnings'] == ['forced_logout: no open session found for ghost (a typo, or already logged out?)']


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


def approved(server, **changes):
    """A plan of the close of alice and u-b on every site, as plan mode makes it, and its hash."""
    server.add(json_body=SESSIONS)
    plan = action(base(server, mode='plan')).run(task_vars={})['ansible_facts']['forced_logout_plan']
    plan.update(changes)
    server.requests.clear()
    return plan, _forced_logout.plan_hash(plan)


def test_apply_checks_the_plan_then_closes(server):
    plan, digest = approved(server)
    server.add(json_body=SESSIONS)           # what would be closed now
    server.add(json_body=SESSIONS)
    server.add(json_body=LOGGED_OUT)
    server.add(json_body=LOGGED_OUT)
    server.add(json_body=SESSIONS[2:])
    server.add(json_body=SESSIONS[2:])
    result = action(base(server, mode='apply', plan=plan, plan_hash=digest)).run(task_vars={})
    assert methods(server) == ['GET', 'GET', 'POST', 'POST', 'GET', 'GET']
    assert report_of(result)['outcome'] == 'contained' and result['changed'] is True


@pytest.mark.parametrize('change, step, words', [
    ({'plan_hash': '0' * 64}, run_action.PLAN_HASH_STEP, 'does not match the approved hash'),
    ({'users': ['alice']}, run_action.PLAN_HASH_STEP, 'does not match the approved hash'),
    ({'plan_users': ['alice']}, run_action.PLAN_TARGETS_STEP, 'the targets differ from the approved plan'),
    ({'plan_file': 'missing.json'}, run_action.READ_PLAN_STEP, 'missing.json'),
])
def test_apply_refuses_another_plan_before_anything_is_sent(server, change, step, words):
    plan, digest = approved(server)
    args = base(server, mode='apply', plan=plan, plan_hash=digest)
    if 'plan_users' in change:
        # A plan approved for other targets: its hash matches, its users do not.
        plan = dict(plan, users=change['plan_users'])
        args.update(plan=plan, plan_hash=_forced_logout.plan_hash(plan))
    elif 'plan_file' in change:
        del args['plan']
        args['plan_file'] = change['plan_file']
    elif 'users' in change:
        args['plan'] = dict(plan, **change)
    else:
        args.update(change)
    plugin = action(args)
    plugin._find_needle = mock.Mock(side_effect=AnsibleError('could not find missing.json'))
    result = plugin.run(task_vars={})
    report = report_of(result)
    assert server.requests == [] and report['outcome'] == 'failed' and report['before'] is None
    assert report['failure'].startswith(step + ': ') and words in report['failure'], report['failure']


def test_apply_refuses_many_more_sessions_than_planned_after_one_listing(server):
    plan, digest = approved(server)
    more = SESSIONS + [dict(SESSIONS[0], session_id='s%d' % number) for number in range(4, 20)]
    server.add(json_body=more)
    result = action(base(server, mode='apply', plan=plan, plan_hash=digest, plan_margin='2')).run(task_vars={})
    report = report_of(result)
    assert methods(server) == ['GET'] and report['outcome'] == 'failed'
    assert report['failure'] == ('%s: refused: 18 sessions would be closed now, more than the 2 planned plus the margin '
                                 'of 2; make and approve a new plan' % run_action.PLAN_COUNT_STEP)


def test_survey_text_is_read_as_names(server):
    server.add(json_body=SESSIONS)
    result = action(base(server, users='alice,\n u-b ;', concurrency='4', max_sessions=''), check_mode=True).run(task_vars={})
    assert report_of(result)['users'] == ['alice', 'u-b'] and methods(server) == ['GET']


def test_sweeps_close_what_came_back_then_verify(server):
    sleeps = []
    server.add(json_body=SESSIONS)
    server.add(json_body=LOGGED_OUT)
    server.add(json_body=SESSIONS[2:])
    server.add(json_body=SESSIONS)           # pass 2: alice logged back in
    server.add(json_body=LOGGED_OUT)
    server.add(json_body=SESSIONS[1:])
    server.add(json_body=SESSIONS[1:])       # the verification
    plugin = action(base(server, users=['alice'], sweeps=2, sweep_interval='1'))
    with mock.patch.object(run_action.time, 'sleep', sleeps.append):
        result = plugin.run(task_vars={})
    assert sleeps == [1] and methods(server) == ['GET', 'POST', 'GET', 'GET', 'POST', 'GET', 'GET']
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


@pytest.mark.parametrize('bad, named', [
    ({'users': None}, 'forced_logout_users'),
    ({'users': ['alice', ['bob']]}, 'forced_logout_users: element 2'),
    ({'protected_users': [None]}, 'forced_logout_protected_users'),
    ({'sweeps': 'many', 'concurrency': 0}, ('forced_logout_sweeps: must be a whole number', '; forced_logout_concurrency')),
    ({'max_sessions': -1}, 'forced_logout_max_sessions'),
    ({'domain': ' '}, 'forced_logout_domain'),
    ({'mode': 'apply'}, 'forced_logout_plan_hash: forced_logout_mode apply needs'),
    ({'report_dir': '/tmp/x', 'report_name': None}, 'report_name is required'),
    ({'colour': 'red'}, 'colour'),
])
def test_bad_settings_fail_the_task_naming_them_before_any_request(server, bad, named):
    args = dict((key, value) for key, value in base(server, **bad).items() if value is not None or key == 'users')
    result = action(args).run(task_vars={})
    # A failed result, not an exception: before 2.19 an exception leaving run() left rescue without the failure.
    assert result['failed'] is True and 'ansible_facts' not in result and 'exception' not in result
    for fragment in (named if isinstance(named, tuple) else (named,)):
        assert fragment in result['msg'], result['msg']
    assert server.requests == []
