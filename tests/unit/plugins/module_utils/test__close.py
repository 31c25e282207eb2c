# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.incoplax.platform.plugins.module_utils import _close
from ansible_collections.incoplax.platform.plugins.module_utils._api import IncoplaxApiError
from ansible_collections.incoplax.platform.plugins.module_utils._args import ParameterError


def entry(session_id, login, site='central', session_type='http', domain='d', user_id=None):
    return {'session_id': session_id, 'login': login, 'site': site, 'session_type': session_type,
            'domain': domain, 'user_id': user_id or 'uid-' + login}


BEFORE = [
    entry('a1', 'alice'),
    entry('a1', 'alice', session_type='websocket'),
    entry('a2', 'alice', site='east'),
    entry('b1', 'bob', site='east'),
    entry('c1', 'carol', domain='other'),
    entry('k1', 'keeper', site='east'),
]


class FakeClient:
    """Closes sessions in a list, like the API; scripted failures per target."""

    def __init__(self, sessions, fail=(), spare=None, gone=()):
        self.sessions = list(sessions)
        self.fail = set(fail)
        self.spare = spare
        self.gone = set(gone)
        self.calls = []

    def list_sessions(self, sites=None):
        self.calls.append(('GET', sites))
        return list(self.sessions)

    def close_session(self, session_id, sites=None):
        self.calls.append(('DELETE', session_id))
        if session_id in self.fail:
            raise IncoplaxApiError('DELETE', '/x/' + session_id, 500, 'boom')
        if session_id in self.gone:
            return False
        self.sessions = [e for e in self.sessions if e['session_id'] != session_id]
        return True

    def logout_user(self, domain, user, sites=None):
        self.calls.append(('POST', user))
        if user in self.fail:
            raise IncoplaxApiError('POST', '/x', 503, 'busy')
        self.sessions = [e for e in self.sessions
                         if not (e['domain'] == domain and user in (e['login'], e['user_id']))
                         or e['session_id'] == self.spare]


@pytest.mark.parametrize('bad', ['', '.', '..', 'a b', 'a\tb', 'a\x00b', 'a\nb', 'x' * 1025, 5])
def test_bad_session_ids_are_parameter_errors(bad):
    with pytest.raises(ParameterError, match='^session_id:'):
        _close.check_session_id(bad)


@pytest.mark.parametrize('good', ['51e6cad2-0176-8f8e-a432-e0d55e0cd303', 'a/b', '%2F', 'é', '...'])
def test_good_session_ids_pass(good):
    _close.check_session_id(good)


def test_plan_by_id_groups_duplicate_entries_and_lists_absent_ids():
    plan = _close.plan(BEFORE, session_ids=['a1', 'zz'])
    assert [(t.kind, t.name, len(t.entries)) for t in plan.targets] == [('session_id', 'a1', 2)]
    assert plan.not_open == ['zz']
    assert plan.session_count == 1


def test_plan_by_user_matches_login_or_id_within_the_domain():
    plan = _close.plan(BEFORE, users=['alice', 'uid-bob', 'carol'], domain='d')
    assert [(t.name, len(t.entries)) for t in plan.targets] == [('alice', 3), ('uid-bob', 1)]
    assert plan.not_open == ['carol']


def test_one_account_named_by_login_and_id_is_one_target():
    plan = _close.plan(BEFORE, users=['alice', 'uid-alice'], domain='d')
    assert [t.name for t in plan.targets] == ['alice']
    assert plan.session_count == 2


@pytest.mark.parametrize('kwargs', [
    {'users': ['keeper'], 'domain': 'd'},
    {'users': ['uid-keeper'], 'domain': 'd'},
    {'session_ids': ['k1']},
])
def test_protected_targets_fail_whether_named_by_login_or_id(kwargs):
    with pytest.raises(ParameterError, match='protected'):
        _close.plan(BEFORE, protected=['keeper'], **kwargs)
    with pytest.raises(ParameterError, match='protected'):
        _close.plan(BEFORE, protected=['uid-keeper'], **kwargs)


def test_match_on_one_entry_targets_both_entries_of_the_session():
    plan = _close.plan(BEFORE, match={'session_type': ['websocket']})
    assert [(t.name, len(t.entries)) for t in plan.targets] == [('a1', 2)]


def test_match_skips_protected_sessions():
    plan = _close.plan(BEFORE, match={'site': ['east']}, protected=['uid-keeper'])
    assert [t.name for t in plan.targets] == ['a2', 'b1']
    assert [e['session_id'] for e in plan.skipped_protected] == ['k1']


def run(client, targets, wait=True, wait_timeout=5):
    _close.execute(client, targets, 'd', 'all', 4)
    after = _close.settle(client, 'all', targets, wait, wait_timeout, sleep=lambda s: None)
    return _close.outcome(targets, after, check_mode=False)


def test_closed_is_what_was_open_before_and_gone_after():
    client = FakeClient(BEFORE)
    plan = _close.plan(BEFORE, session_ids=['a1', 'b1'])
    closed, spared, remaining = run(client, plan.targets)
    assert sorted((e['session_id'], e['session_type']) for e in closed) == [
        ('a1', 'http'), ('a1', 'websocket'), ('b1', 'http')]
    assert spared == [] and remaining == []
    assert [c for c in client.calls if c[0] == 'DELETE'] == [('DELETE', 'a1'), ('DELETE', 'b1')]


def test_404_is_neither_closed_nor_error():
    client = FakeClient(BEFORE, gone={'b1'})
    client.sessions = [e for e in client.sessions if e['session_id'] != 'b1']
    plan = _close.plan(BEFORE, session_ids=['b1'])
    closed, spared, remaining = run(client, plan.targets)
    assert (closed, spared, remaining) == ([], [], [])
    assert plan.targets[0].error is None


def test_lone_survivor_of_a_user_logout_is_spared():
    client = FakeClient(BEFORE, spare='a2')
    plan = _close.plan(BEFORE, users=['alice'], domain='d')
    closed, spared, remaining = run(client, plan.targets)
    assert {e['session_id'] for e in closed} == {'a1'}
    assert [e['session_id'] for e in spared] == ['a2']
    assert remaining == []


def test_two_survivors_are_failures_not_spared():
    client = FakeClient(BEFORE)
    client.logout_user = lambda domain, user, sites=None: None  # the platform ignores the logout
    plan = _close.plan(BEFORE, users=['alice'], domain='d')
    closed, spared, remaining = run(client, plan.targets, wait_timeout=0)
    assert closed == [] and spared == []
    assert {e['session_id'] for e in remaining} == {'a1', 'a2'}


def test_failures_are_recorded_per_target_and_others_still_close():
    client = FakeClient(BEFORE, fail={'alice'})
    plan = _close.plan(BEFORE, users=['alice', 'bob'], domain='d')
    closed, spared, remaining = run(client, plan.targets)
    errors = {t.name: t.error for t in plan.targets}
    assert errors['bob'] is None and errors['alice'].status == 503
    assert [e['session_id'] for e in closed] == ['b1']
    assert {e['session_id'] for e in remaining} == {'a1', 'a2'}
    assert spared == []


def test_settle_polls_until_sessions_disappear():
    snapshots = [list(BEFORE), list(BEFORE), [e for e in BEFORE if e['session_id'] != 'b1']]

    class SlowClient(FakeClient):
        def list_sessions(self, sites=None):
            return snapshots.pop(0) if len(snapshots) > 1 else snapshots[0]

    client = SlowClient(BEFORE)
    plan = _close.plan(BEFORE, session_ids=['b1'])
    _close.execute(client, plan.targets, 'd', None, 1)
    after = _close.settle(client, None, plan.targets, True, 30, sleep=lambda s: None)
    assert 'b1' not in {e['session_id'] for e in after}


def test_settle_gives_up_at_the_deadline():
    ticks = iter(range(100))
    client = FakeClient(BEFORE)
    plan = _close.plan(BEFORE, session_ids=['b1'])
    # Nothing is closed (no execute), so only the deadline can end the wait.
    after = _close.settle(client, None, plan.targets, True, 3, sleep=lambda s: None, clock=lambda: next(ticks))
    assert 'b1' in {e['session_id'] for e in after}


def test_check_mode_outcome_predicts_every_planned_entry():
    plan = _close.plan(BEFORE, users=['alice'], domain='d')
    closed, spared, remaining = _close.outcome(plan.targets, BEFORE, check_mode=True)
    assert len(closed) == 3 and spared == [] and remaining == []
    diff = _close.diff_of(plan.targets, BEFORE, True, closed)
    assert len(diff['before']['sessions']) == 3 and diff['after']['sessions'] == []
    assert set(diff['before']['sessions'][0]) == {'session_id', 'login', 'site', 'session_type'}


def test_counts_are_sessions_not_entries():
    closed = [BEFORE[0], BEFORE[1], BEFORE[3]]
    assert _close.counts(closed, [], [BEFORE[5]], []) == {
        'total': 2, 'entries': 3, 'by_site': {'central': 1, 'east': 1}, 'spared': 0, 'skipped_protected': 1,
        'failed_targets': 0}
