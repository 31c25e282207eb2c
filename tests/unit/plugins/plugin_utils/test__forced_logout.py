# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools
import json

import pytest

from hypothesis import given, settings, strategies as st

from ansible_collections.incoplax.platform.plugins.plugin_utils._forced_logout import (
    ENTRY_LISTS,
    OutcomeError,
    evidence_json,
    evidence_markdown,
    plan,
    plan_hash,
    public_url,
    report,
    summary,
    totals,
)
from incoplax_testing import cast  # pylint: disable=import-error

# Entries as the results the evidence is made of carry them: no domain or user id, a ttl of 10 s.
entry = functools.partial(cast.entry, domain=cast.OMIT, user_id=cast.OMIT, ttl=10)


CLOSE = {
    'closed': [entry('a1', 'alice'), entry('a1', 'alice', session_type='websocket'), entry('b1', 'bob', 'east')],
    'spared': [entry('m1', 'me')],
    'remaining': [],
    'already_gone': [],
    'not_open': [],
    'failed_targets': [],
    'sites': 'all',
}
LISTED_NOTHING_LEFT = {'closed': [entry('m1', 'me')], 'remaining': []}


def data(**overrides):
    base = {'close': CLOSE, 'verify': LISTED_NOTHING_LEFT, 'last_sweep': {}, 'swept': [],
            'users': ['alice', 'bob', 'me'], 'domain': 'd', 'sites': 'all', 'ticket': 'INC-1', 'dry_run': False,
            'started_at': '2026-11-28T10:00:00Z', 'finished_at': '2026-11-28T10:00:05Z', 'protected_users': ['root'],
            'passes': 1, 'failure': None}
    base.update(overrides)
    return base


def test_counts_distinct_sessions_and_api_entries_and_keeps_the_spared_out_of_remaining():
    result = report(data())
    assert result['counts'] == {'users': 3, 'before': 3, 'closed': 2, 'entries': 3, 'closed_by_sweeps': 0,
                                'already_gone': 0, 'spared': 1, 'remaining': 0, 'not_open': 0, 'failed_targets': 0,
                                'by_site': {'central': 1, 'east': 1}}
    assert [e['session_id'] for e in result['before']] == ['a1', 'a1', 'b1', 'm1']
    assert result['remaining'] == [] and result['sites'] == 'all' and result['outcome'] == 'contained'


def test_remaining_is_what_verification_still_finds():
    result = report(data(verify={'closed': [entry('m1', 'me'), entry('b2', 'bob')], 'remaining': []}))
    assert [e['session_id'] for e in result['remaining']] == ['b2']
    assert result['counts']['remaining'] == 1 and result['outcome'] == 'failed'
    assert result['failure'] == '1 target session(s) still open'


def test_sweeps_add_to_closed_and_the_last_pass_says_what_is_spared():
    result = report(data(swept=[entry('a9', 'alice', 'west')], last_sweep={'spared': [], 'closed': [], 'remaining': []},
                         passes=2))
    assert result['counts']['closed'] == 3 and result['counts']['closed_by_sweeps'] == 1
    assert result['spared'] == [] and result['passes'] == 2


def test_without_verification_falls_back_to_what_close_left_open():
    close = dict(CLOSE, remaining=[entry('x1', 'alice')], failed_targets=[{'target': 'alice', 'error': 'boom'}])
    result = report(data(close=close, verify={}, failure='Close: boom'))
    assert [e['session_id'] for e in result['remaining']] == ['x1']
    assert result['counts']['failed_targets'] == 1 and result['failure'] == 'Close: boom'
    # What was open is known from the listing: closed, spared and remaining.
    assert result['counts']['before'] == 4


@pytest.mark.parametrize('close', [
    {},
    {'failed': True, 'msg': 'cannot reach https://x'},
    {'failed': True, 'msg': 'HTTP 401', 'error': {'status': 401}},
    {'skipped': True},
])
def test_unknown_is_not_zero_when_no_listing_succeeded(close):
    result = report(data(close=close, verify={}, failure='Close: it failed'))
    assert result['before'] is None and result['remaining'] is None
    assert result['counts']['before'] is None and result['counts']['remaining'] is None
    assert result['outcome'] == 'failed'
    text = evidence_markdown(result)
    assert 'open before: unknown; still open: unknown.' in text and 'unknown: no listing of the sessions succeeded' in text
    assert 'still open: unknown (no listing succeeded)' in summary(result)


def test_no_listing_and_no_failure_message_is_still_a_failure():
    result = report(data(close={}, verify={}))
    assert result['outcome'] == 'failed' and 'unknown' in result['failure']


def test_a_guard_refusal_after_the_listing_keeps_what_is_known():
    close = dict(CLOSE, closed=[], spared=[], remaining=[entry('a1', 'alice'), entry('c1', 'carol')])
    result = report(data(close=close, verify={}, failure='Close: user: alice listed in protected_users'))
    assert result['counts']['before'] == 2 and result['counts']['remaining'] == 2 and result['counts']['closed'] == 0


def test_not_open_targets_are_named_next_to_contained():
    result = report(data(close=dict(CLOSE, not_open=['nobody', 'ghost'])))
    assert result['outcome'] == 'contained' and result['not_open'] == ['nobody', 'ghost']
    assert result['counts']['not_open'] == 2
    assert summary(result)[0] == 'forced logout INC-1: contained (no open session found for nobody, ghost)'
    text = evidence_markdown(result)
    assert '| Result | contained (no open session found for nobody, ghost) |' in text
    assert '## No open session found\n\n- nobody\n- ghost' in text


def test_already_gone_is_its_own_list_never_closed():
    close = dict(CLOSE, already_gone=[entry('g1', 'alice')])
    result = report(data(close=close))
    assert result['counts']['already_gone'] == 1 and result['counts']['closed'] == 2
    assert 'g1' not in {e['session_id'] for e in result['closed']}
    assert 'g1' in {e['session_id'] for e in result['before']}
    assert '## Already gone' in evidence_markdown(result)


def test_unverified_entries_fail_the_outcome():
    result = report(data(close=dict(CLOSE, unverified=[entry('u1', 'alice')]), verify={}))
    assert result['outcome'] == 'failed' and '## Unverified' in evidence_markdown(result)


def test_a_dry_run_closes_nothing_and_ignores_sweeps():
    result = report(data(dry_run=True, verify={'closed': [entry('a1', 'alice')], 'remaining': []},
                         swept=[entry('z1', 'alice')], last_sweep={'closed': [entry('z1', 'alice')], 'remaining': []},
                         passes=3))
    assert result['remaining'] == [] and result['check_mode'] is True and result['passes'] == 1
    assert result['outcome'] == 'dry_run' and result['counts']['closed_by_sweeps'] == 0
    assert summary(result)[0] == 'forced logout INC-1: dry run: nothing was closed'


def test_rejects_input_of_the_wrong_shape():
    with pytest.raises(OutcomeError):
        report(['nope'])
    with pytest.raises(OutcomeError, match='close.closed must be a list'):
        report(data(close=dict(CLOSE, closed='x')))


@pytest.mark.parametrize('url, shown', [
    ('https://user:pass@host.example:8443/api', 'https://host.example:8443/api'),
    ('https://token@host', 'https://host'),
    ('https://host/a@b', 'https://host/a@b'),
    (' http://h ', 'http://h'),
    ('', None),
    (None, None),
])
def test_public_url_drops_userinfo(url, shown):
    assert public_url(url) == shown


def test_json_evidence_is_the_result():
    result = report(data(platform='https://u:secret@h', caller='svc', operator={'user': 'op'},
                         versions={'collection': '1.0.0', 'ansible_core': '2.21.0'}))
    assert json.loads(evidence_json(result)) == json.loads(json.dumps(result))
    assert 'secret' not in evidence_json(result)


def test_markdown_says_who_where_what_and_explains_the_counts():
    result = report(data(platform='https://h', caller='svc', mode='run',
                         operator={'user': 'op', 'awx_job_id': 7, 'awx_job_template_name': 'T', 'awx_user_name': 'jane'},
                         versions={'collection': '1.0.0', 'ansible_core': '2.21.0'}))
    text = evidence_markdown(result, 'east-cluster')
    assert '# Forced logout - INC-1' in text
    assert '| Cluster | east-cluster |' in text and '| Platform | https://h |' in text and '| Caller | svc |' in text
    assert '| Operator | op, AWX job 7, template T, launched by jane |' in text
    assert '| Versions | incoplax.platform 1.0.0, ansible-core 2.21.0 |' in text
    assert '2 session(s) closed (3 API entries: an id listed as http and websocket is one session, two entries)' in text
    assert '| 3 | 2 | 3 | 0 | 0 | 1 | 0 | 0 | 0 |' in text
    assert '## Spared' in text and '| m1 | http | me | central |' in text


def test_markdown_marks_dry_runs_and_failures_and_escapes_cells():
    text = evidence_markdown(report(data(dry_run=True)))
    assert '(dry run: nothing was closed)' in text and 'would close' in text
    text = evidence_markdown(report(data(failure='Close: x|y\nz')))
    assert 'FAILED: Close: x/y z' in text


def test_plan_and_its_hash():
    value = plan(CLOSE, ['bob', 'alice'], 'd', ['root'], None, '2026-11-28T10:00:00Z')
    assert value['users'] == ['alice', 'bob'] and value['session_count'] == 2 and value['max_sessions'] is None
    assert plan(CLOSE, ['a'], 'd', max_sessions=0)['max_sessions'] == 0
    digest = plan_hash(value)
    assert len(digest) == 64 and digest == plan_hash(json.loads(json.dumps(value)))
    assert plan_hash(dict(value, users=['alice'])) != digest
    with pytest.raises(OutcomeError):
        plan_hash({'version': 99})
    with pytest.raises(OutcomeError):
        plan({'failed': True}, ['a'], 'd')


def test_totals_add_up_clusters_and_flag_any_that_was_not_contained():
    good = report(data())
    failed = report(data(failure='Close: HTTP 500'))
    result = totals({'a': good, 'b': failed, 'c': None})
    assert result['clusters'] == 3 and result['closed'] == 4 and result['entries'] == 6
    assert result['failed_clusters'] == ['b', 'c'] and result['ok'] is False
    # A cluster with no result: what was open there is unknown, so the total is too.
    assert result['before'] is None and result['remaining'] is None


def test_totals_ok_when_every_cluster_is_contained():
    result = totals({'a': report(data()), 'b': report(data(close=dict(CLOSE, not_open=['ghost'])))})
    assert result['ok'] is True and result['failed_clusters'] == [] and result['spared'] == 2
    assert result['before'] == 6 and result['not_open'] == 1 and result['not_open_accounts'] == ['ghost']


def test_totals_of_a_dry_run_are_ok_and_marked():
    result = totals({'a': report(data(dry_run=True))})
    assert result['ok'] is True and result['check_mode'] is True


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                           max_leaves=8)


@settings(deadline=None)
@given(st.dictionaries(st.sampled_from(ENTRY_LISTS + ('counts', 'failure', 'users')) | st.text(),
                       st.lists(st.dictionaries(st.text(), JSON_VALUES, max_size=4), max_size=4) | JSON_VALUES, max_size=6))
def test_json_evidence_holds_any_result_whatever_its_text(result):
    """Whatever the platform put in an entry (newlines, quotes, '}, {', any character), the evidence reads back as
    the result, with each entry of a list of entries on one line of its own."""
    text = evidence_json(result)
    assert json.loads(text) == json.loads(json.dumps(result))
    lines = text.splitlines()
    for key in ENTRY_LISTS:
        if isinstance(result.get(key), list) and result[key]:
            start = lines.index('  %s: [' % json.dumps(key))
            assert [json.loads(line.strip().rstrip(',')) for line in lines[start + 1:start + 1 + len(result[key])]] == \
                json.loads(json.dumps(result[key]))
