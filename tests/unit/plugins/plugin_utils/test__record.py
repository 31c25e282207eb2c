# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gc
import json

from unittest import mock

import pytest

from hypothesis import given, settings, strategies as st

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.incoplax.platform.plugins.plugin_utils import _record

HOSTILE = '{{ lookup("pipe", "id") }}'


def test_unsafe_marking_in_entries_reaches_nested_values():
    """In a list of entries only the strings that could start a template are marked, however deep they are."""
    entries = [{'session_id': 'a1', 'ttl': 10, 'alive': True, 'gone': None},
               {'session_id': 'a2', 'connections': [{'pid': HOSTILE}, {'pid': 'plain'}]},
               {'session_id': 'a3', 'login': HOSTILE}]
    marked = _record.unsafe_marked({'forced_logout_result': {'closed': entries, 'domain': 'd'}})['forced_logout_result']
    assert marked['domain'] == {'__ansible_unsafe': 'd'}
    assert marked['closed'][0] == entries[0]
    assert marked['closed'][1]['connections'] == [{'pid': {'__ansible_unsafe': HOSTILE}}, {'pid': 'plain'}]
    assert marked['closed'][2] == {'session_id': 'a3', 'login': {'__ansible_unsafe': HOSTILE}}


def expected(facts):
    return json.loads(json.dumps(_record.unsafe_marked(facts)))


def test_facts_json_marks_like_unsafe_marked_and_encodes_a_shared_entry_once():
    shared = {'session_id': 'a1', 'login': 'alice', 'site': 'east'}
    hostile = {'session_id': 'a2', 'login': HOSTILE, 'site': 'east'}
    nested = {'session_id': 'a3', 'connections': [{'pid': '<0.1.0>'}], 'tags': ['x{y']}
    facts = {'forced_logout_result': {'before': [shared, hostile, nested], 'closed': (shared, hostile), 'remaining': [],
                                      'users': ['alice', HOSTILE], 'counts': {'by_site': {'east': 2}}, 'failure': None},
             'forced_logout_plan': {'sessions': [shared], 'users': ['alice']},
             'forced_logout_summary': ['a {line}']}
    text = _record.facts_json(facts)
    assert json.loads(text) == expected(facts)
    assert text.count('"session_id":"a1"') == 3
    # include_vars reads it back as the facts, the hostile text not trusted as a template.
    loaded = DataLoader().load(text)
    templated = Templar(loader=DataLoader(), variables={}).template(loaded['forced_logout_result'])
    assert [item['login'] for item in templated['closed']] == ['alice', HOSTILE]
    assert templated['users'] == ['alice', HOSTILE]


PID = '<0.11647.54>'


@pytest.mark.parametrize('text', [PID, '<0.1.0>', 'ws1@192.168.0.32', '16d72c4c-0176-99e7-5545-e0d55e0cd303', ''])
def test_plain_text_holds_ids_addresses_and_erlang_pids(text):
    assert _record.PLAIN_TEXT.fullmatch(text)


@pytest.mark.parametrize('text', ['<0.1.2>{{ x }}', '<{{ x }}>', ' <0.1.2>', '<0.1.2>\n', '<0.1>', '<a.1.2>',
                                  '<\u0663.1.2>', '<0.1.2><0.1.2>', '<<x>>', '[[ x ]]', '#jinja2:x', 'a{b', 'f(x)', 'a|b'])
def test_text_that_only_looks_like_a_pid_or_could_start_a_template_is_not_plain(text):
    assert not _record.PLAIN_TEXT.fullmatch(text)


def test_a_websocket_entry_of_plain_text_is_written_as_it_is():
    """Its nested connections (a pid, a node, a boolean) hold nothing to mark: the C encoder's text is kept."""
    entry = {'connections': [{'conn_id': 'c1', 'is_pid_alive': True, 'node': 'ws1@192.168.0.32', 'pid': PID},
                             {'conn_id': 'c2', 'is_pid_alive': False, 'node': 'ws2@192.168.0.33', 'pid': '<0.5.1>'}],
             'domain': 'master.domain', 'login': 'alice', 'session_id': 'a1', 'session_type': 'websocket',
             'site': 'central', 'ttl': 40141, 'user_id': 'u1'}
    hostile = dict(entry, connections=[dict(entry['connections'][0], pid='<0.1.2>{{ 6 * 7 }}')])
    text = _record.facts_json({'forced_logout_result': {'closed': [entry, hostile]}})
    assert json.dumps(entry, separators=(',', ':')) in text
    assert json.loads(text) == expected({'forced_logout_result': {'closed': [entry, hostile]}})
    assert json.loads(text)['forced_logout_result']['closed'][1]['connections'][0]['pid'] == {
        '__ansible_unsafe': '<0.1.2>{{ 6 * 7 }}'}


def test_facts_json_refuses_a_key_that_is_not_text():
    with pytest.raises(TypeError):
        _record.facts_json({'forced_logout_result': {'counts': {1: 2}}})


TEXT = st.one_of(st.text(alphabet=st.sampled_from('ab{}%#"\\\n é<>0.'), max_size=6),
                 st.sampled_from([PID, '<0.1.2>{{ x }}', '<{{ x }}>', '<0.1>']))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), TEXT)
VALUES = st.recursive(
    SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)), max_leaves=8)
ENTRY = st.dictionaries(st.sampled_from(['session_id', 'login', 'site', 'pid', 'connections', '{k}']), VALUES, max_size=4)
RESULT = st.fixed_dictionaries({'before': st.lists(ENTRY, max_size=3), 'closed': st.lists(ENTRY, max_size=3),
                                'users': st.lists(TEXT, max_size=2), 'other': VALUES})


@settings(max_examples=300, deadline=None)
@given(RESULT, st.lists(ENTRY, max_size=2), VALUES)
def test_facts_json_is_the_json_of_unsafe_marked_for_any_facts(result, sessions, other):
    result['closed'] = result['closed'] + result['before'][:1]  # an entry object in both lists, as in a real run
    facts = {'forced_logout_result': result, 'forced_logout_plan': {'sessions': sessions}, 'forced_logout_other': other}
    assert json.loads(_record.facts_json(facts)) == expected(facts)


# Before ansible-core 2.19 a vars file is trusted as a template: platform text must not be run whatever delimiters
# would start it (the default ones, a #jinja2: header of its own, or those a template task chooses).
HEADER = "#jinja2:variable_start_string:'[[', variable_end_string:']]'\n[[ 6 * 7 ]]"


def test_no_platform_text_runs_as_a_template_from_the_facts_file():
    entry = {'session_id': 'a1', 'login': HEADER, 'site': '[[ 6 * 7 ]]', 'domain': '{{ 6 * 7 }}', 'user_id': '<%= 1 %>'}
    plain = {'session_id': 'a2', 'login': 'bob.smith@corp', 'site': 'east-1', 'ttl': 10, 'user_id': 'u-1, u/2',
             'connections': [{'node': 'ws1@192.168.0.32', 'pid': PID}]}
    facts = {'forced_logout_result': {'closed': [entry, plain], 'users': [HEADER]}}
    text = _record.facts_json(facts)
    assert json.loads(text)['forced_logout_result']['closed'][1] == plain  # plain text stays unmarked
    loaded = DataLoader().load(text)
    templar = Templar(loader=DataLoader(), variables={})
    assert templar.template(loaded['forced_logout_result']) == facts['forced_logout_result']
    try:
        custom = templar.copy_with_new_env(variable_start_string='[[', variable_end_string=']]')
    except Exception:  # pylint: disable=broad-except  # ansible-core 2.19 and later trust no vars file anyway
        return
    assert custom.template(loaded['forced_logout_result']) == facts['forced_logout_result']


class GcProbe(_record.RecordingAction):
    """A recording action whose work says whether the cyclic garbage collector is on, then ends as asked."""

    def _run(self, task_vars, result):
        task_vars['seen'].append(gc.isenabled())
        if task_vars.get('end') == 'refused':
            raise AnsibleActionFail('refused')
        if task_vars.get('end') == 'crash':
            raise RuntimeError('crash')
        return result


def run_probe(end=None):
    task = mock.MagicMock(args={}, async_val=0, check_mode=False, action='incoplax.platform.probe')
    probe = GcProbe(task=task, connection=mock.MagicMock(), play_context=mock.MagicMock(check_mode=False), loader=None,
                    templar=mock.MagicMock(), shared_loader_obj=None)
    seen = []
    try:
        return probe.run(task_vars={'seen': seen, 'end': end}), seen
    except RuntimeError:
        return None, seen


@pytest.mark.parametrize('end', [None, 'refused', 'crash'])
def test_the_cyclic_gc_is_off_while_a_forced_logout_runs_and_as_it_was_afterwards(end):
    assert gc.isenabled()
    result, seen = run_probe(end)
    assert seen == [False] and gc.isenabled()
    if end == 'refused':
        assert result['failed'] is True and result['msg'] == 'refused'
    gc.disable()  # a caller that had turned it off finds it off
    try:
        assert run_probe(end)[1] == [False] and not gc.isenabled()
    finally:
        gc.enable()
