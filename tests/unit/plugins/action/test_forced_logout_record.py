# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat

from unittest import mock

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.incoplax.platform.plugins.action import forced_logout_record as record
from ansible_collections.incoplax.platform.plugins.filter.forced_logout import forced_logout_evidence, forced_logout_report


def entry(session_id, login, site='central', session_type='http'):
    return {'session_id': session_id, 'login': login, 'site': site, 'session_type': session_type, 'ttl': 10}


CLOSE = {'closed': [entry('a1', 'alice'), entry('a1', 'alice', session_type='websocket'), entry('b1', 'bob', 'east')],
         'spared': [], 'remaining': [], 'failed_targets': [], 'sites': 'all', 'changed': True}
VERIFY = {'closed': [], 'changed': False}
TASK_VARS = {'reg_close': CLOSE, 'reg_verify': VERIFY, 'reg_sweep': {}, 'reg_swept': [], 'unrelated': 'x'}
BASE_ARGS = {'close': 'reg_close', 'verify': 'reg_verify', 'last_sweep': 'reg_sweep', 'swept': 'reg_swept',
             'users': ['alice', 'bob'], 'domain': 'master.domain', 'sites': 'all', 'ticket': 'INC-7',
             'check_mode': False, 'started_at': '2026-11-28T10:00:00Z', 'finished_at': '2026-11-28T10:00:04Z',
             'protected_users': ['root'], 'passes': 1, 'failure': None}


def expected_report():
    return forced_logout_report({'close': CLOSE, 'verify': VERIFY, 'last_sweep': {}, 'swept': [],
                                 'users': ['alice', 'bob'], 'domain': 'master.domain', 'sites': 'all',
                                 'ticket': 'INC-7', 'check_mode': False, 'started_at': '2026-11-28T10:00:00Z',
                                 'finished_at': '2026-11-28T10:00:04Z', 'protected_users': ['root'], 'passes': 1,
                                 'failure': None})


def action(**args):
    task = mock.MagicMock()
    task.args = dict(BASE_ARGS, **args)
    task.async_val = 0
    task.check_mode = False
    task.action = 'incoplax.platform.forced_logout_record'
    return record.ActionModule(task=task, connection=mock.MagicMock(), play_context=mock.MagicMock(), loader=None,
                               templar=mock.MagicMock(), shared_loader_obj=None)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_returns_the_report_and_writes_the_evidence(tmp_path):
    report_dir = tmp_path / 'a' / 'b'
    result = action(return_facts=True, report_dir=str(report_dir), report_name='INC-7', cluster='east').run(
        task_vars=dict(TASK_VARS))
    facts = result['facts']
    assert result['changed'] is False and not result.get('failed') and 'ansible_facts' not in result
    assert facts['forced_logout_result'] == expected_report()
    assert facts['forced_logout_evidence_files'] == {'json': '%s/INC-7.json' % report_dir,
                                                     'markdown': '%s/INC-7.md' % report_dir}
    # Exactly what the evidence filter renders, in files of mode 0640 in directories of mode 0750.
    assert (report_dir / 'INC-7.json').read_text() == forced_logout_evidence(expected_report(), 'json')
    assert (report_dir / 'INC-7.md').read_text() == forced_logout_evidence(expected_report(), 'markdown', 'east')
    assert json.loads((report_dir / 'INC-7.json').read_text()) == facts['forced_logout_result']
    assert mode_of(report_dir / 'INC-7.json') == mode_of(report_dir / 'INC-7.md') == 0o640
    assert mode_of(report_dir) == mode_of(tmp_path / 'a') == 0o750
    assert sorted(p.name for p in report_dir.iterdir()) == ['INC-7.json', 'INC-7.md']


def test_replaces_existing_evidence_and_fixes_the_directory_mode(tmp_path):
    tmp_path.chmod(0o755)
    (tmp_path / 'INC-7.json').write_text('old')
    action(return_facts=True, report_dir=str(tmp_path), report_name='INC-7').run(task_vars=dict(TASK_VARS))
    assert json.loads((tmp_path / 'INC-7.json').read_text())['counts']['closed'] == 2
    assert mode_of(tmp_path) == 0o750


def test_without_report_dir_no_file_and_no_files_fact(tmp_path):
    result = action(return_facts=True, report_name='ignored').run(task_vars=dict(TASK_VARS))
    assert list(result['facts']) == ['forced_logout_result']
    result = action(return_facts=True, report_dir='').run(task_vars=dict(TASK_VARS))
    assert list(result['facts']) == ['forced_logout_result']


def test_sets_the_facts_like_set_fact_when_the_core_can(tmp_path, monkeypatch):
    layers = mock.MagicMock(CACHEABLE_FACT='cacheable', EPHEMERAL_FACT='ephemeral')
    monkeypatch.setattr(record, 'VariableLayer', layers)
    plugin = action(report_dir=str(tmp_path), report_name='n')
    registered = {}
    plugin.register_host_variables = lambda variables, layer: registered.__setitem__(layer, variables)
    result = plugin.run(task_vars=dict(TASK_VARS))
    # Never cached as host facts; set at set_fact precedence, and shown to callbacks as ansible_facts.
    assert registered['cacheable'] == {}
    assert registered['ephemeral'] is result['ansible_facts']
    assert sorted(result['ansible_facts']) == ['forced_logout_evidence_files', 'forced_logout_result']
    assert 'facts' not in result


def test_refuses_to_run_when_the_core_cannot_set_facts(tmp_path, monkeypatch):
    monkeypatch.setattr(record, 'VariableLayer', None)
    with pytest.raises(AnsibleActionFail, match='return_facts=true'):
        action(report_dir=str(tmp_path / 'e'), report_name='n').run(task_vars=dict(TASK_VARS))
    assert not (tmp_path / 'e').exists()


def test_missing_registered_results_count_as_empty():
    result = action(return_facts=True, verify='never_set', last_sweep='never_set', swept='never_set').run(
        task_vars={'reg_close': CLOSE})
    report = result['facts']['forced_logout_result']
    assert report['counts']['closed'] == 2 and report['remaining'] == []


def test_reads_sweeps_and_a_failure():
    sweep = {'closed': [entry('a9', 'alice', 'west')], 'spared': [], 'remaining': [], 'failed_targets': []}
    task_vars = dict(TASK_VARS, reg_sweep=sweep, reg_swept=sweep['closed'])
    result = action(return_facts=True, passes=2, failure='Close: boom').run(task_vars=task_vars)
    report = result['facts']['forced_logout_result']
    assert report['counts']['closed_by_sweeps'] == 1 and report['passes'] == 2 and report['failure'] == 'Close: boom'


def test_a_variable_of_the_wrong_kind_is_an_error():
    with pytest.raises(Exception, match='reg_close must hold a registered result'):
        action(return_facts=True).run(task_vars=dict(TASK_VARS, reg_close=['not', 'a', 'result']))
    with pytest.raises(Exception, match='reg_swept must hold a list'):
        action(return_facts=True).run(task_vars=dict(TASK_VARS, reg_swept={'a': 1}))


def test_report_name_is_required_with_report_dir(tmp_path):
    with pytest.raises(AnsibleActionFail, match='report_name is required'):
        action(return_facts=True, report_dir=str(tmp_path)).run(task_vars=dict(TASK_VARS))


def test_unwritable_evidence_fails_but_still_gives_the_result(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    result = action(return_facts=True, report_dir=str(blocker / 'sub'), report_name='n').run(task_vars=dict(TASK_VARS))
    assert result['failed'] is True and 'cannot write the evidence' in result['msg']
    assert result['facts']['forced_logout_result'] == expected_report()
    assert 'forced_logout_evidence_files' not in result['facts']


def test_paths_are_expanded_for_writing_only(tmp_path, monkeypatch):
    monkeypatch.setenv('BENCH_EVIDENCE_HOME', str(tmp_path))
    result = action(return_facts=True, report_dir='$BENCH_EVIDENCE_HOME/ev', report_name='n').run(
        task_vars=dict(TASK_VARS))
    assert result['facts']['forced_logout_evidence_files']['json'] == '$BENCH_EVIDENCE_HOME/ev/n.json'
    assert (tmp_path / 'ev' / 'n.json').is_file() and (tmp_path / 'ev' / 'n.md').is_file()
