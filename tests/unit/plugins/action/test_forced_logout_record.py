# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import json
import os
import stat

from unittest import mock

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:  # ansible-core 2.19 and later template only text trusted as a template
    from ansible.template import trust_as_template
except ImportError:
    def trust_as_template(text):
        return text

from ansible_collections.incoplax.platform.plugins.action import forced_logout_record as record
from ansible_collections.incoplax.platform.plugins.plugin_utils import _evidence, _forced_logout, _record
from incoplax_testing import cast  # pylint: disable=import-error

# Entries as the results the evidence is made of carry them: no domain or user id, a ttl of 10 s.
entry = functools.partial(cast.entry, domain=cast.OMIT, user_id=cast.OMIT, ttl=10)
copies_host_facts = _record.copies_host_facts  # the real one: the autouse fixture replaces it


CLOSE = {'closed': [entry('a1', 'alice'), entry('a1', 'alice', session_type='websocket'), entry('b1', 'bob', 'east')],
         'spared': [], 'remaining': [], 'failed_targets': [], 'not_open': [], 'sites': 'all', 'changed': True}
VERIFY = {'closed': [], 'remaining': [], 'changed': False}
TASK_VARS = {'reg_close': CLOSE, 'reg_verify': VERIFY, 'reg_sweep': {}, 'reg_swept': [], 'unrelated': 'x'}
BASE_ARGS = {'close_var': 'reg_close', 'verify_var': 'reg_verify', 'last_sweep_var': 'reg_sweep', 'swept_var': 'reg_swept',
             'users': ['alice', 'bob'], 'domain': 'master.domain', 'sites': 'all', 'ticket': 'INC-7',
             'started_at': '2026-11-28T10:00:00Z', 'finished_at': '2026-11-28T10:00:04Z',
             'protected_users': ['root'], 'passes': 1, 'failure': None}


@pytest.fixture(autouse=True)
def facts_returned(monkeypatch):
    """The facts come back as ansible_facts as they are, as before ansible-core 2.19 without a facts file; the tests of
    the other hand-overs say which core they model."""
    monkeypatch.setattr(_record, 'VariableLayer', None)
    monkeypatch.setattr(_record, 'copies_host_facts', lambda: True)


def action(task_check_mode=False, play_check_mode=False, **args):
    task = mock.MagicMock()
    task.args = dict(BASE_ARGS, **args)
    task.async_val = 0
    task.check_mode = task_check_mode
    task.action = 'incoplax.platform.forced_logout_record'
    play_context = mock.MagicMock()
    play_context.check_mode = play_check_mode
    plugin = record.ActionModule(task=task, connection=mock.MagicMock(), play_context=play_context, loader=None,
                                 templar=mock.MagicMock(), shared_loader_obj=None)
    plugin.register_host_variables = mock.MagicMock()
    return plugin


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def facts_of(result):
    return result['ansible_facts']


def test_writes_new_evidence_and_a_ledger_record(tmp_path):
    report_dir = tmp_path / 'a' / 'b'
    result = action(report_dir=str(report_dir), report_name='INC-7', cluster='east').run(task_vars=dict(TASK_VARS))
    facts = facts_of(result)
    assert result['changed'] is False and not result.get('failed')
    report = facts['forced_logout_result']
    assert report['outcome'] == 'contained' and report['counts']['closed'] == 2 and report['counts']['entries'] == 3
    files = facts['forced_logout_evidence_files']
    assert os.path.dirname(files['json']) == str(report_dir)
    assert (report_dir / os.path.basename(files['json'])).read_text() == _forced_logout.evidence_json(report)
    assert (report_dir / os.path.basename(files['markdown'])).read_text() == _forced_logout.evidence_markdown(report, 'east')
    assert files['ledger'] == '%s/INC-7.ledger.jsonl' % report_dir and files['ledger_run'] == 1
    assert mode_of(files['json']) == mode_of(files['markdown']) == mode_of(files['ledger']) == 0o640
    assert mode_of(report_dir) == mode_of(tmp_path / 'a') == 0o750
    check = _evidence.verify((report_dir / 'INC-7.ledger.jsonl').read_text(), str(report_dir), files['ledger_record_sha256'])
    assert check['ok'] and check['records'] == 1, check
    assert facts['forced_logout_summary'][0] == 'forced logout INC-7 on east: contained'


def test_a_second_run_never_overwrites_the_first(tmp_path):
    first = facts_of(action(report_dir=str(tmp_path), report_name='INC-7').run(task_vars=dict(TASK_VARS)))
    kept = {path: open(path).read() for path in (first['forced_logout_evidence_files']['json'],
                                                 first['forced_logout_evidence_files']['markdown'])}
    second = facts_of(action(report_dir=str(tmp_path), report_name='INC-7', failure='boom').run(task_vars=dict(TASK_VARS)))
    files = second['forced_logout_evidence_files']
    assert files['json'] not in kept and files['ledger_run'] == 2
    for path, text in kept.items():
        assert open(path).read() == text
    assert len(os.listdir(str(tmp_path))) == 5
    assert _evidence.verify((tmp_path / 'INC-7.ledger.jsonl').read_text(), str(tmp_path))['ok']


@pytest.mark.parametrize('task_check_mode, play_check_mode, dry_run, mode', [
    (True, False, False, 'run'),    # the task inherits check mode from the play, a block, import/include
    (False, True, False, 'run'),    # ansible-core before 2.17 carries it on the play context
    (False, False, True, 'run'),    # asked for by the role
    (False, False, False, 'plan'),  # plan mode is a dry run
])
def test_records_a_dry_run_however_it_was_asked_for(task_check_mode, play_check_mode, dry_run, mode):
    sweep = {'closed': [entry('z1', 'alice')], 'spared': [], 'remaining': [], 'failed_targets': []}
    task_vars = dict(TASK_VARS, reg_sweep=sweep, reg_swept=sweep['closed'])
    report = facts_of(action(task_check_mode, play_check_mode, dry_run=dry_run, mode=mode, passes=3).run(
        task_vars=task_vars))['forced_logout_result']
    # Would-close entries of check-mode passes are never counted as swept.
    assert (report['check_mode'], report['outcome'], report['passes']) == (True, 'dry_run', 1)
    assert report['counts']['closed_by_sweeps'] == 0 and report['counts']['closed'] == 2


def test_dry_run_false_never_turns_check_mode_off():
    report = facts_of(action(True, True, dry_run=False).run(task_vars=dict(TASK_VARS)))['forced_logout_result']
    assert report['check_mode'] is True


def test_plan_mode_sets_and_writes_the_plan(tmp_path):
    facts = facts_of(action(mode='plan', max_sessions=9, report_dir=str(tmp_path), report_name='INC-7').run(
        task_vars=dict(TASK_VARS)))
    plan = facts['forced_logout_plan']
    assert plan['session_count'] == 2 and plan['max_sessions'] == 9 and plan['users'] == ['alice', 'bob']
    assert facts['forced_logout_plan_hash'] == _forced_logout.plan_hash(plan)
    assert json.loads(open(facts['forced_logout_evidence_files']['plan']).read()) == plan
    record_ = json.loads((tmp_path / 'INC-7.ledger.jsonl').read_text())
    assert sorted(record_['files']) == ['json', 'markdown', 'plan']


def test_sets_the_facts_like_set_fact_when_the_core_can(tmp_path, monkeypatch):
    layers = mock.MagicMock(CACHEABLE_FACT='cacheable', EPHEMERAL_FACT='ephemeral')
    monkeypatch.setattr(_record, 'VariableLayer', layers)
    plugin = action(report_dir=str(tmp_path), report_name='n')
    registered = {}
    plugin.register_host_variables = lambda variables, layer: registered.__setitem__(layer, variables)
    result = plugin.run(task_vars=dict(TASK_VARS))
    # Never cached as host facts; set at set_fact precedence.
    assert registered['cacheable'] == {}
    assert sorted(registered['ephemeral']) == ['forced_logout_evidence_files', 'forced_logout_result',
                                               'forced_logout_summary']
    # Shown to callbacks without the lists of session entries, which they would copy value by value.
    shown = result['ansible_facts']
    assert sorted(shown) == ['forced_logout_evidence_files', 'forced_logout_outcome', 'forced_logout_summary']
    assert shown['forced_logout_outcome'] == _forced_logout.without_entries(registered['ephemeral']['forced_logout_result'])


def test_before_2_21_returns_the_facts_as_ansible_facts(tmp_path, monkeypatch):
    monkeypatch.setattr(_record, 'VariableLayer', None)
    plugin = action(report_dir=str(tmp_path), report_name='n')
    result = plugin.run(task_vars=dict(TASK_VARS))
    plugin.register_host_variables.assert_not_called()
    assert result['ansible_facts']['forced_logout_result']['outcome'] == 'contained'


def test_context_who_where_what(monkeypatch):
    task_vars = dict(TASK_VARS, tower_job_id=42, awx_job_template_name='Incoplax forced logout', awx_user_name='jane')
    report = facts_of(action(platform='https://svc:p4ss@platform.example.com/api', caller='svc').run(
        task_vars=task_vars))['forced_logout_result']
    assert report['platform'] == 'https://platform.example.com/api' and 'p4ss' not in json.dumps(report)
    assert report['caller'] == 'svc'
    assert report['operator']['awx_job_id'] == 42 and report['operator']['awx_user_name'] == 'jane'
    assert report['operator']['awx_job_template_name'] == 'Incoplax forced logout' and report['operator']['user']
    assert report['versions']['collection'] and report['versions']['ansible_core'] == _record.ANSIBLE_CORE_VERSION
    # The module's own caller wins.
    report = facts_of(action(caller='svc').run(task_vars=dict(TASK_VARS, reg_close=dict(CLOSE, caller='admin'))))
    assert report['forced_logout_result']['caller'] == 'admin'


def test_without_report_dir_no_file_and_no_files_fact(tmp_path):
    facts = facts_of(action(report_name='ignored').run(task_vars=dict(TASK_VARS)))
    assert 'forced_logout_evidence_files' not in facts
    assert facts['forced_logout_summary'][-1] == 'evidence: not written (set forced_logout_report_dir)'


def test_missing_registered_results_are_unknown():
    report = facts_of(action(verify_var='never_set', last_sweep_var='never_set', swept_var='never_set').run(
        task_vars={'reg_close': {'failed': True, 'msg': 'cannot reach'}}))['forced_logout_result']
    assert report['before'] is None and report['remaining'] is None and report['outcome'] == 'failed'


def test_a_variable_of_the_wrong_kind_is_a_failed_result():
    closed = action().run(task_vars=dict(TASK_VARS, reg_close=['not', 'a', 'result']))
    assert closed['failed'] is True and 'reg_close must hold a registered result' in closed['msg']
    swept = action().run(task_vars=dict(TASK_VARS, reg_swept={'a': 1}))
    assert swept['failed'] is True and 'reg_swept must hold a list' in swept['msg'] and 'ansible_facts' not in swept


def test_report_name_is_required_with_report_dir(tmp_path):
    # A failed result, not an exception: before 2.19 an exception leaving run() left rescue without the failure.
    result = action(report_dir=str(tmp_path)).run(task_vars=dict(TASK_VARS))
    assert result['failed'] is True and 'report_name is required' in result['msg'] and 'ansible_facts' not in result


def test_hostile_report_names_stay_in_the_directory(tmp_path):
    report_dir = tmp_path / 'ev'
    for name in ('../x', '/abs', '', '..', 'é/../../y'):
        files = facts_of(action(report_dir=str(report_dir), report_name=name or 'x').run(
            task_vars=dict(TASK_VARS)))['forced_logout_evidence_files']
        for key in ('json', 'markdown', 'ledger'):
            assert os.path.dirname(os.path.realpath(files[key])) == os.path.realpath(str(report_dir)), (name, files)
    assert sorted(os.listdir(str(tmp_path))) == ['ev']


def test_unwritable_evidence_fails_but_still_gives_the_result(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    result = action(report_dir=str(blocker / 'sub'), report_name='n').run(task_vars=dict(TASK_VARS))
    assert result['failed'] is True and 'cannot write the evidence' in result['msg']
    assert result['ansible_facts']['forced_logout_result']['counts']['closed'] == 2
    assert 'forced_logout_evidence_files' not in result['ansible_facts']


def test_paths_are_expanded_for_writing_only(tmp_path, monkeypatch):
    monkeypatch.setenv('BENCH_EVIDENCE_HOME', str(tmp_path))
    files = facts_of(action(report_dir='$BENCH_EVIDENCE_HOME/ev', report_name='n').run(
        task_vars=dict(TASK_VARS)))['forced_logout_evidence_files']
    assert files['json'].startswith('$BENCH_EVIDENCE_HOME/ev/n.')
    assert (tmp_path / 'ev' / os.path.basename(files['json'])).is_file()
    assert (tmp_path / 'ev' / 'n.ledger.jsonl').is_file()


def test_warns_about_targets_with_no_open_session():
    result = action().run(task_vars=dict(TASK_VARS, reg_close=dict(CLOSE, not_open=['jdeo'])))
    assert result['warnings'] == ['forced_logout: no open session found for jdeo (a typo, or already logged out?)']
    assert 'warnings' not in action().run(task_vars=dict(TASK_VARS))


def test_copies_host_facts_before_2_19_only():
    assert copies_host_facts('2.16.19') and copies_host_facts('2.18.0rc1')
    assert not copies_host_facts('2.19.0') and not copies_host_facts('2.21.5')


def old_core(monkeypatch, tmp_path):
    """ansible-core before 2.19: no register_host_variables, host facts copied on every task; local tmp in tmp_path."""
    monkeypatch.setattr(_record, 'VariableLayer', None)
    monkeypatch.setattr(_record, 'copies_host_facts', lambda: True)
    local_tmp = tmp_path / 'local-tmp'
    local_tmp.mkdir()
    monkeypatch.setattr(_record.C, 'DEFAULT_LOCAL_TMP', str(local_tmp), raising=False)
    return local_tmp


HOSTILE = '{{ 6 * 7 }}'


def test_facts_file_before_2_19_hands_the_facts_over_in_a_private_file(tmp_path, monkeypatch):
    local_tmp = old_core(monkeypatch, tmp_path)
    close = dict(CLOSE, closed=CLOSE['closed'] + [dict(entry('c1', 'carol'), site=HOSTILE)])
    plugin = action(report_dir=str(tmp_path / 'ev'), report_name='n', facts_file=True)
    result = plugin.run(task_vars=dict(TASK_VARS, reg_close=close))
    # The facts with lists of session entries are not returned (they would be host facts); the file is private, in
    # ansible's local temporary directory.
    assert sorted(result['ansible_facts']) == ['forced_logout_evidence_files', 'forced_logout_facts_file',
                                               'forced_logout_outcome', 'forced_logout_summary']
    path = result['ansible_facts']['forced_logout_facts_file']
    assert os.path.dirname(path) == str(local_tmp) and mode_of(path) == 0o600
    marked = json.loads(open(path).read())
    assert sorted(marked) == ['forced_logout_evidence_files', 'forced_logout_outcome', 'forced_logout_result',
                              'forced_logout_summary']
    # Every string outside the session entries is marked unsafe; in the entries, those that could start a template.
    assert marked['forced_logout_result']['domain'] == {'__ansible_unsafe': 'master.domain'}
    assert marked['forced_logout_result']['users'] == [{'__ansible_unsafe': 'alice'}, {'__ansible_unsafe': 'bob'}]
    hostile = [e for e in marked['forced_logout_result']['closed'] if e['session_id'] == 'c1'][0]
    assert hostile['site'] == {'__ansible_unsafe': HOSTILE} and hostile['login'] == 'carol'
    # What include_vars reads back is the result the evidence holds, and nothing in it is run as a template.
    loaded = DataLoader().load_from_file(path)
    facts = plugin_facts(tmp_path, close)
    for name in ('forced_logout_result', 'forced_logout_outcome'):
        assert json.loads(json.dumps(loaded[name])) == json.loads(json.dumps(facts[name])), name
    templated = Templar(loader=DataLoader(), variables={}).template(loaded['forced_logout_result'])
    assert [e['site'] for e in templated['closed'] if e['session_id'] == 'c1'] == [HOSTILE]
    assert loaded['forced_logout_outcome'] == _forced_logout.without_entries(loaded['forced_logout_result'])
    assert 'closed' not in loaded['forced_logout_outcome'] and loaded['forced_logout_outcome']['counts']['closed'] == 3


def plugin_facts(tmp_path, close):
    """The facts the action returns as ansible_facts for the same input (the default hand-over)."""
    plugin = action(report_dir=str(tmp_path / 'ev2'), report_name='n', facts_file=True)
    with mock.patch.object(_record, 'copies_host_facts', lambda: False):
        facts = plugin.run(task_vars=dict(TASK_VARS, reg_close=close))['ansible_facts']
    assert facts.pop('forced_logout_facts_file') is None
    return facts


def test_facts_file_when_host_facts_are_not_copied_returns_them(tmp_path, monkeypatch):
    monkeypatch.setattr(_record, 'VariableLayer', None)
    monkeypatch.setattr(_record, 'copies_host_facts', lambda: False)
    facts = action(facts_file=True).run(task_vars=dict(TASK_VARS))['ansible_facts']
    assert facts['forced_logout_facts_file'] is None
    assert facts['forced_logout_outcome'] == _forced_logout.without_entries(facts['forced_logout_result'])


def core_2_19(monkeypatch):
    """ansible-core 2.19 and 2.20: no register_host_variables, host facts copied container by container."""
    monkeypatch.setattr(_record, 'VariableLayer', None)
    monkeypatch.setattr(_record, 'copies_host_facts', lambda: False)


def as_json(value):
    return json.loads(json.dumps(value))


@pytest.mark.parametrize('mode', ['run', 'plan'])
def test_on_2_19_entry_lists_are_tuples_and_the_callbacks_get_no_entries(tmp_path, monkeypatch, mode):
    close = dict(CLOSE, spared=[entry('r1', 'root')])
    args = dict(mode=mode, report_name='n')
    plain = facts_of(action(report_dir=str(tmp_path / 'plain'), **args).run(task_vars=dict(TASK_VARS, reg_close=close)))
    core_2_19(monkeypatch)
    result = action(report_dir=str(tmp_path), facts_file=True, **args).run(task_vars=dict(TASK_VARS, reg_close=close))
    assert result['_ansible_no_log'] is True and not result.get('failed')
    facts = facts_of(result)
    report = facts['forced_logout_result']
    # Same content as the plain hand-over and as the evidence; only the containers of the entries differ.
    assert as_json(report) == as_json(plain['forced_logout_result'])
    assert as_json(report) == json.loads(open(facts['forced_logout_evidence_files']['json']).read())
    assert isinstance(report['closed'], tuple) and isinstance(report['before'], tuple) and len(report['closed']) == 3
    assert isinstance(report['spared'], tuple) and report['spared'][0]['login'] == 'root'
    # An empty list stays a list: remaining == [] holds as on every core.
    assert report['remaining'] == [] and isinstance(report['users'], list) and isinstance(report['counts'], dict)
    if mode == 'plan':
        plan = facts['forced_logout_plan']
        assert isinstance(plan['sessions'], tuple) and as_json(plan) == as_json(plain['forced_logout_plan'])
        assert facts['forced_logout_plan_hash'] == _forced_logout.plan_hash(plan) == plain['forced_logout_plan_hash']


def test_on_2_19_a_failed_record_stays_visible(tmp_path, monkeypatch):
    core_2_19(monkeypatch)
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    result = action(report_dir=str(blocker / 'sub'), report_name='n', facts_file=True).run(task_vars=dict(TASK_VARS))
    assert result['failed'] is True and 'cannot write the evidence' in result['msg']
    assert '_ansible_no_log' not in result


def test_ansible_core_copies_lists_of_host_facts_but_not_tuples():
    """What the 2.19 and 2.20 hand-over relies on, asked of the installed ansible-core: fails if that changes."""
    clean = pytest.importorskip('ansible.vars.clean')
    entries = tuple({'session_id': 's%d' % number, '_ansible_note': 'kept'} for number in range(3))
    facts = {'forced_logout_result': {'closed': entries, 'remaining': [], 'users': ['alice']}}
    for copied in (clean.module_response_deepcopy(facts), clean.clean_facts(facts),
                   clean.namespace_facts(facts)['ansible_facts']):
        assert copied['forced_logout_result']['closed'] is entries
        assert copied['forced_logout_result']['users'] is not facts['forced_logout_result']['users']


def test_jinja_reads_the_tuples_like_lists(monkeypatch):
    core_2_19(monkeypatch)
    report = facts_of(action().run(task_vars=dict(TASK_VARS)))['forced_logout_result']
    templar = Templar(loader=DataLoader(), variables={'forced_logout_result': report})

    def render(expression):
        return templar.template(trust_as_template('{{ %s }}' % expression))

    assert render('forced_logout_result.closed | length') in (3, '3')
    assert render("forced_logout_result.closed | map(attribute='login') | unique | sort | join(',')") == 'alice,bob'
    assert render('forced_logout_result.closed[0].session_id') == 'a1'
    assert render('forced_logout_result.remaining == []') in (True, 'True')
    assert render('forced_logout_result.closed | selectattr("site", "eq", "east") | list | length') in (1, '1')
    assert json.loads(render('forced_logout_result.closed | to_json')) == as_json(report['closed'])
    # The documented way to add lists of entries (an empty one is a list, and a tuple and a list do not add up).
    assert render("((forced_logout_result.closed | list) + (forced_logout_result.remaining | list)) | length") in (3, '3')
    assert render("((forced_logout_result.remaining | list) + (forced_logout_result.closed | list)) | length") in (3, '3')


def test_facts_file_on_2_21_sets_them_like_set_fact(tmp_path, monkeypatch):
    monkeypatch.setattr(_record, 'VariableLayer', mock.MagicMock(CACHEABLE_FACT='cacheable', EPHEMERAL_FACT='ephemeral'))
    plugin = action(facts_file=True)
    registered = {}
    plugin.register_host_variables = lambda variables, layer: registered.__setitem__(layer, dict(variables))
    plugin.run(task_vars=dict(TASK_VARS))
    assert registered['ephemeral']['forced_logout_facts_file'] is None
    assert registered['ephemeral']['forced_logout_outcome']['outcome'] == 'contained'


def test_facts_file_when_the_evidence_fails_returns_the_facts(tmp_path, monkeypatch):
    old_core(monkeypatch, tmp_path)
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    result = action(report_dir=str(blocker / 'sub'), report_name='n', facts_file=True).run(task_vars=dict(TASK_VARS))
    assert result['failed'] is True
    assert result['ansible_facts']['forced_logout_result']['counts']['closed'] == 2
    assert result['ansible_facts']['forced_logout_facts_file'] is None


def test_without_facts_file_nothing_changes(tmp_path, monkeypatch):
    old_core(monkeypatch, tmp_path)
    facts = action().run(task_vars=dict(TASK_VARS))['ansible_facts']
    assert sorted(facts) == ['forced_logout_result', 'forced_logout_summary']
