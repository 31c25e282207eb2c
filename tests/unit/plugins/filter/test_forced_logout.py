# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.incoplax.platform.plugins.filter.forced_logout import (
    forced_logout_evidence,
    forced_logout_report,
    forced_logout_totals,
)


def entry(session_id, login, site='central', session_type='http'):
    return {'session_id': session_id, 'login': login, 'site': site, 'session_type': session_type, 'ttl': 10}


CLOSE = {
    'closed': [entry('a1', 'alice'), entry('a1', 'alice', session_type='websocket'), entry('b1', 'bob', 'east')],
    'spared': [entry('m1', 'me')],
    'remaining': [],
    'failed_targets': [],
    'sites': 'all',
}


def data(**overrides):
    base = {'close': CLOSE, 'verify': {'closed': [entry('m1', 'me')]}, 'last_sweep': {}, 'swept': [],
            'users': ['alice', 'bob', 'me'], 'domain': 'd', 'sites': 'all', 'ticket': 'INC-1', 'check_mode': False,
            'started_at': '2026-11-28T10:00:00Z', 'finished_at': '2026-11-28T10:00:05Z', 'protected_users': ['root'],
            'passes': 1, 'failure': None}
    base.update(overrides)
    return base


def test_report_counts_sessions_and_keeps_the_spared_out_of_remaining():
    result = forced_logout_report(data())
    assert result['counts'] == {'users': 3, 'before': 3, 'closed': 2, 'closed_by_sweeps': 0, 'spared': 1,
                                'remaining': 0, 'failed_targets': 0, 'by_site': {'central': 1, 'east': 1}}
    assert [e['session_id'] for e in result['before']] == ['a1', 'a1', 'b1', 'm1']
    assert result['remaining'] == [] and result['sites'] == 'all'


def test_report_remaining_is_what_verification_still_finds():
    result = forced_logout_report(data(verify={'closed': [entry('m1', 'me'), entry('b2', 'bob')]}))
    assert [e['session_id'] for e in result['remaining']] == ['b2']
    assert result['counts']['remaining'] == 1


def test_report_adds_sweeps_and_takes_spared_from_the_last_pass():
    result = forced_logout_report(data(swept=[entry('a9', 'alice', 'west')], last_sweep={'spared': [], 'closed': []},
                                       passes=2))
    assert result['counts']['closed'] == 3 and result['counts']['closed_by_sweeps'] == 1
    assert result['spared'] == [] and result['passes'] == 2


def test_report_without_verification_falls_back_to_what_close_left_open():
    close = dict(CLOSE, remaining=[entry('x1', 'alice')], failed_targets=[{'target': 'alice', 'error': 'boom'}])
    result = forced_logout_report(data(close=close, verify={}, failure='Close: boom'))
    assert [e['session_id'] for e in result['remaining']] == ['x1']
    assert result['counts']['failed_targets'] == 1 and result['failure'] == 'Close: boom'


def test_report_in_check_mode_has_nothing_remaining():
    result = forced_logout_report(data(check_mode=True, verify={'closed': [entry('a1', 'alice')]}))
    assert result['remaining'] == [] and result['check_mode'] is True and result['passes'] == 1


def test_report_rejects_non_dict_input():
    with pytest.raises(AnsibleFilterError):
        forced_logout_report(['nope'])


def test_json_evidence_has_the_same_keys_as_the_result():
    result = forced_logout_report(data())
    assert json.loads(forced_logout_evidence(result)) == json.loads(json.dumps(result))


def test_markdown_evidence_summarises_for_the_ticket():
    text = forced_logout_evidence(forced_logout_report(data()), 'markdown', 'east-cluster')
    assert '# Forced logout - INC-1' in text
    assert '| Cluster | east-cluster |' in text
    assert '| 3 | 2 | 0 | 1 | 0 | 0 |' in text
    assert '## Spared' in text and '| m1 | http | me | central |' in text
    assert 'contained' in text


def test_markdown_marks_check_mode_and_failures():
    text = forced_logout_evidence(forced_logout_report(data(check_mode=True)), 'markdown')
    assert 'check mode: nothing was closed' in text and 'would close' in text
    text = forced_logout_evidence(forced_logout_report(data(failure='Close: x|y')), 'markdown')
    assert 'FAILED: Close: x/y' in text


def test_evidence_rejects_unknown_format():
    with pytest.raises(AnsibleFilterError, match='json or markdown'):
        forced_logout_evidence(forced_logout_report(data()), 'pdf')


def test_totals_add_up_clusters_and_flag_any_that_was_not_contained():
    good = forced_logout_report(data())
    failed = forced_logout_report(data(failure='Close: HTTP 500'))
    totals = forced_logout_totals({'a': good, 'b': failed, 'c': None})
    assert totals['clusters'] == 3 and totals['closed'] == 4 and totals['before'] == 6
    assert totals['failed_clusters'] == ['b', 'c'] and totals['ok'] is False


def test_totals_ok_when_every_cluster_is_contained():
    totals = forced_logout_totals({'a': forced_logout_report(data()), 'b': forced_logout_report(data())})
    assert totals['ok'] is True and totals['failed_clusters'] == [] and totals['spared'] == 2
