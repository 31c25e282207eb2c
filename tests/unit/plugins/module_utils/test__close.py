# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The I/O part of ws_session (_close.py): send, list again until settled, and the whole run.

The platform is a FakeClient that closes entries in a list as the API does (scope included) and records
every call; time is a fake clock, so waiting is tested without waiting.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

import pytest
import yaml

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.incoplax.platform.plugins.module_utils import _close, _plan, _request
from ansible_collections.incoplax.platform.plugins.module_utils._api import IncoplaxClient
from ansible_collections.incoplax.platform.plugins.module_utils._errors import IncoplaxApiError, ParameterError
from ansible_collections.incoplax.platform.plugins.modules import ws_session
from incoplax_testing.modules import plan_entry as entry, plan_listing  # pylint: disable=import-error

BEFORE = plan_listing()
WRITES = ('POST', 'DELETE')


def in_scope(e, sites):
    return not isinstance(sites, list) or e['site'] in sites


class FakeClient:
    """Closes sessions in a list, like the API, within the sites a request carries; scripted misbehaviour.

    ``fail``: targets whose request raises; ``gone``: ids answered 404 (``stale``: and kept listed);
    ``spare``: the id a logout leaves open (the request's own session); ``ignore``: ids a request leaves listed
    (propagation that never ends); ``listings``: scripted answers to the GETs from the ``script_from``-th on
    (the last one repeats; by default the GETs after close_sessions' first listing).
    """

    def __init__(self, sessions, fail=(), spare=None, gone=(), stale=(), ignore=(), listings=None, list_error_at=None,
                 script_from=2):
        self.sessions = list(sessions)
        self.fail = set(fail)
        self.spare = spare
        self.gone = set(gone)
        self.stale = set(stale)
        self.ignore = set(ignore)
        self.listings = listings
        self.list_error_at = list_error_at
        self.script_from = script_from
        self.calls = []

    def writes(self):
        return [call for call in self.calls if call[0] in WRITES]

    def list_sessions(self, sites=None):
        self.calls.append(('GET', sites))
        gets = len([c for c in self.calls if c[0] == 'GET'])
        if gets == self.list_error_at:
            raise IncoplaxApiError('GET', '/x', 500, 'listing broke')
        if self.listings is not None and gets >= self.script_from:
            return list(self.listings[min(gets - self.script_from, len(self.listings) - 1)])
        return list(self.sessions)

    def close_session(self, session_id, sites=None):
        self.calls.append(('DELETE', session_id, sites))
        if session_id in self.fail:
            raise IncoplaxApiError('DELETE', '/x/' + session_id, 500, 'boom')
        if session_id in self.gone | self.stale:
            if session_id in self.gone:
                self.sessions = [e for e in self.sessions if e['session_id'] != session_id]
            return False
        if session_id not in self.ignore:
            self.sessions = [e for e in self.sessions if not (e['session_id'] == session_id and in_scope(e, sites))]
        return True

    def logout_user(self, domain, user, sites=None):
        self.calls.append(('POST', user, sites))
        if user in self.fail:
            raise IncoplaxApiError('POST', '/x', 503, 'busy')
        if user in self.ignore:
            return
        self.sessions = [e for e in self.sessions
                         if not (e['domain'] == domain and user in (e['login'], e['user_id']) and in_scope(e, sites))
                         or e['session_id'] == self.spare]


class FakeModule:
    """What close_sessions uses of IncoplaxModule: params, modes, warn() and client()."""

    def __init__(self, client, check_mode=False, diff_mode=False, **overrides):
        self.params = dict(
            url='https://platform.example.com', token='tok-123', username=None, password=None, caller=None,
            validate_certs=True, ca_path=None, timeout=30, retries=3,
            state='absent', session_id=None, user=None, domain=None, match=None, protected_users=[], sites='all',
            concurrency=4, max_sessions=None, wait=True, wait_timeout=30,
        )
        if isinstance(overrides.get('match'), dict):
            overrides['match'] = dict(dict.fromkeys(_request.MATCH_KEYS), **overrides['match'])
        self.params.update(overrides)
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.warnings = []
        self._client = client
        self.pool_sizes = []

    def warn(self, text):
        self.warnings.append(text)

    def client(self, pool_size=10):
        self.pool_sizes.append(pool_size)
        return self._client


class Clock:
    """Fake time: sleep() advances it, and every sleep is recorded."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Every run in this file waits on a fake clock."""
    fake = Clock()
    monkeypatch.setattr(_close, 'settle', functools.partial(_close.settle, sleep=fake.sleep, clock=fake.clock))
    return fake


def ids(entries):
    return sorted({e['session_id'] for e in entries})


def run(client, check_mode=False, diff_mode=False, **overrides):
    module = FakeModule(client, check_mode=check_mode, diff_mode=diff_mode, **overrides)
    return _close.close_sessions(module), module


def documented(section=None):
    returned = yaml.safe_load(ws_session.RETURN)
    if section is None:
        return set(returned)
    return set(returned[section]['contains'])


# ---------------------------------------------------------------------------------------------------- execute

def test_execute_sends_each_sendable_target_once_with_its_scope():
    client = FakeClient(BEFORE + [entry('m1', 'mia', site='west')])
    the_plan = _plan.plan(client.sessions, _request.read_request(FakeModule(client, session_id=['a1', 'm1']).params))
    bad = _plan.delete_target('..', [entry('..', 'x')], 'all')
    _close.execute(client, the_plan.targets + [bad], None, 3)
    assert sorted(client.writes()) == [('DELETE', 'a1', ['central']), ('DELETE', 'm1', ['west'])]
    assert bad.error is None and not bad.not_found


def test_execute_records_errors_and_404s_per_target_without_raising():
    client = FakeClient(BEFORE, fail={'a1'}, gone={'b1'})
    targets = [_plan.delete_target(i, [e for e in BEFORE if e['session_id'] == i], 'all') for i in ('a1', 'b1', 'k1')]
    _close.execute(client, targets, None, 1)
    assert [(t.name, getattr(t.error, 'status', None), t.not_found) for t in targets] == [
        ('a1', 500, False), ('b1', None, True), ('k1', None, False)]


def test_execute_with_nothing_sendable_sends_nothing():
    client = FakeClient(BEFORE)
    _close.execute(client, [_plan.delete_target('.', [entry('.', 'x')], 'all')], None, 8)
    assert client.calls == []


# ---------------------------------------------------------------------------------------------------- settle

def delete_targets(*session_ids):
    return [_plan.delete_target(i, [e for e in BEFORE if e['session_id'] == i], 'all') for i in session_ids]


def user_target(name):
    request = _request.read_request(FakeModule(None, user=[name], domain='d').params)
    return _plan.plan(BEFORE, request).targets


def test_settle_polls_until_sessions_disappear(clock):
    gone = [e for e in BEFORE if e['session_id'] != 'b1']
    client = FakeClient(BEFORE, listings=[BEFORE, BEFORE, gone], script_from=1)
    after, _confirmed = _close.settle(client, 'all', delete_targets('b1'), None, True, 30, sleep=clock.sleep, clock=clock.clock)
    assert after == gone
    assert len(client.calls) == 3 and all(call == ('GET', 'all') for call in client.calls)
    assert clock.sleeps[:2] == [_close.POLL_FIRST, _close.POLL_FIRST * 2]


def test_settle_backs_off_to_the_cap_and_gives_up_at_the_deadline(clock):
    client = FakeClient(BEFORE)
    after, _confirmed = _close.settle(client, None, delete_targets('b1'), None, True, 10, sleep=clock.sleep, clock=clock.clock)
    assert 'b1' in ids(after)
    assert clock.now == pytest.approx(10)
    assert max(clock.sleeps) == _close.POLL_MAX
    assert clock.sleeps == sorted(clock.sleeps[:-1]) + clock.sleeps[-1:]
    assert len(client.calls) == len(clock.sleeps) + 1


def test_settle_without_wait_lists_once():
    client = FakeClient(BEFORE)
    fake = Clock()
    after, _confirmed = _close.settle(client, 'all', delete_targets('b1'), None, False, 30, sleep=fake.sleep, clock=fake.clock)
    assert after == BEFORE and len(client.calls) == 1 and fake.sleeps == []


def test_settle_does_not_wait_for_failed_targets(clock):
    targets = delete_targets('b1')
    targets[0].error = IncoplaxApiError('DELETE', '/x', 500)
    client = FakeClient(BEFORE)
    _close.settle(client, 'all', targets, None, True, 30, sleep=clock.sleep, clock=clock.clock)
    assert len(client.calls) == 1 and clock.sleeps == []


def test_settle_waits_for_a_404_that_is_still_listed(clock):
    targets = delete_targets('b1')
    targets[0].not_found = True
    client = FakeClient(BEFORE)
    _close.settle(client, 'all', targets, None, True, 5, sleep=clock.sleep, clock=clock.clock)
    assert clock.now == pytest.approx(5)


def test_settle_confirms_the_callers_lone_session_before_returning(clock):
    only_a2 = [e for e in BEFORE if e['session_id'] != 'a1']
    client = FakeClient(BEFORE, listings=[BEFORE, only_a2, only_a2], script_from=1)
    after, _confirmed = _close.settle(client, 'all', user_target('alice'), 'alice', True, 30, sleep=clock.sleep, clock=clock.clock)
    assert ids(after) == ids(only_a2)
    assert len(client.calls) == 3
    assert clock.sleeps[-1] == _close.SURVIVOR_CONFIRM


def test_settle_sees_a_propagating_session_vanish_during_confirmation(clock):
    only_a2 = [e for e in BEFORE if e['session_id'] != 'a1']
    none_left = [e for e in BEFORE if e['login'] != 'alice']
    client = FakeClient(BEFORE, listings=[only_a2, none_left], script_from=1)
    after, _confirmed = _close.settle(client, 'all', user_target('alice'), 'alice', True, 30, sleep=clock.sleep, clock=clock.clock)
    assert 'a2' not in ids(after)
    found = _plan.outcome(user_target('alice'), after, False, 'alice')
    assert found.spared == [] and ids(found.closed) == ['a1', 'a2']


def test_settle_waits_for_the_lone_session_of_another_account_until_the_deadline(clock):
    only_a2 = [e for e in BEFORE if e['session_id'] != 'a1']
    client = FakeClient(BEFORE, listings=[only_a2], script_from=1)
    _close.settle(client, 'all', user_target('alice'), 'bob', True, 7, sleep=clock.sleep, clock=clock.clock)
    assert clock.now == pytest.approx(7)


# ---------------------------------------------------------------------------------------------------- close_sessions

def test_close_by_id_closes_and_reports_distinct_sessions():
    client = FakeClient(BEFORE)
    result, module = run(client, session_id=['a1', ' b1', 'a1'], diff_mode=True)
    assert sorted(client.writes()) == [('DELETE', 'a1', ['central']), ('DELETE', 'b1', ['east'])]
    assert ids(result['closed']) == ['a1', 'b1'] and 'failed' not in result and result['changed'] is True
    assert result['counts']['closed'] == 2 and result['counts']['entries'] == 3
    assert result['counts']['by_site'] == {'central': 1, 'east': 1}
    assert result['msg'] == 'closed 2 session(s)'
    assert module.pool_sizes == [4] and module.warnings == []


def test_the_result_has_exactly_the_documented_keys():
    result, _module = run(FakeClient(BEFORE), session_id=['a1'], diff_mode=True)
    assert set(result) - {'changed', 'msg', 'diff'} == documented() - {'unverified'}
    assert set(result['counts']) == documented('counts')
    assert set(result['diff']) == {'before', 'after'}
    broken, _module = run(FakeClient(BEFORE, list_error_at=2), session_id=['a1'])
    assert set(broken) - {'changed', 'msg', 'failed'} == documented()


def test_match_site_narrows_the_delete_and_spares_the_other_site():
    listing = [entry('m1', 'mia', site='central'), entry('m1', 'mia', site='east')]
    client = FakeClient(listing)
    result, _module = run(client, match={'site': ['east']}, sites='all')
    assert client.writes() == [('DELETE', 'm1', ['east'])]
    assert [(e['session_id'], e['site']) for e in result['closed']] == [('m1', 'east')]
    assert client.sessions == [listing[0]]


def test_an_unsafe_given_id_fails_before_anything_is_sent():
    client = FakeClient(BEFORE)
    with pytest.raises(ParameterError) as info:
        run(client, session_id=['a1', '..', 'b c'])
    assert client.calls == []
    assert str(info.value).startswith('session_id: ') and 'nothing was sent' in str(info.value)
    assert [item['target'] for item in info.value.result['failed_targets']] == ['..', 'b c']


@pytest.mark.parametrize('bad', ['.', '..', ''])
def test_an_unsafe_listed_id_is_never_sent_and_fails_the_task(bad):
    listing = BEFORE + [entry(bad, 'mallory', site='east')]
    client = FakeClient(listing)
    result, _module = run(client, match={'site': ['east']})
    assert bad not in [call[1] for call in client.writes()]
    assert result['failed'] is True
    assert [f['target'] for f in result['failed_targets']] == [bad]
    assert bad in ids(result['remaining'])


GUARDS = [
    pytest.param(dict(user=['alice', 'KEEPER'], domain='d', protected_users=['keeper']), 'protected', id='user-case'),
    pytest.param(dict(user=['uid-keeper'], domain='d', protected_users=[' Keeper']), 'protected', id='user-by-id'),
    pytest.param(dict(session_id=['b1', 'k1'], protected_users=['uid-keeper']), 'protected', id='session-id'),
    pytest.param(dict(user=['bob'], domain='d', session_id=None), 'designates 2 accounts', id='ambiguous'),
    pytest.param(dict(match={'domain': ['d']}, max_sessions=2), 'max_sessions: 5 sessions', id='max-sessions'),
]
AMBIGUOUS = BEFORE + [entry('r1', 'robert', user_id='bob')]


@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.parametrize('overrides, fragment', GUARDS)
def test_a_guard_sends_nothing_and_reports_what_is_known(overrides, fragment, check_mode):
    client = FakeClient(AMBIGUOUS)
    result, _module = run(client, check_mode=check_mode, **overrides)
    assert client.writes() == [] and len(client.calls) == 1
    assert result['failed'] is True and result['changed'] is False
    assert fragment in result['msg'] and 'nothing was closed' in result['msg']
    assert result['closed'] == [] and result['spared'] == []
    assert result['counts']['before'] > 0 and result['counts']['remaining'] == result['counts']['before']


def test_check_mode_sends_nothing_and_predicts_every_planned_session():
    client = FakeClient(BEFORE)
    result, _module = run(client, check_mode=True, diff_mode=True, user=['alice', 'bob'], domain='d')
    assert client.calls == [('GET', 'all')]
    assert result['changed'] is True and result['msg'] == 'would close 3 session(s)'
    assert ids(result['closed']) == ['a1', 'a2', 'b1'] and result['diff']['after']['sessions'] == []


def test_nothing_open_sends_nothing_and_warns():
    client = FakeClient(BEFORE)
    result, module = run(client, session_id=['nope'])
    assert client.writes() == [] and result['changed'] is False and 'failed' not in result
    assert result['not_open'] == ['nope'] and result['counts']['not_open'] == 1
    assert any('nope' in warning for warning in module.warnings)


def test_a_misspelled_protected_user_is_warned_about():
    _result, module = run(FakeClient(BEFORE), session_id=['b1'], protected_users=['kepeer'])
    assert any(w.startswith('protected_users: kepeer matches no account') for w in module.warnings)


def test_a_404_for_a_session_no_longer_listed_is_already_gone():
    client = FakeClient(BEFORE, gone={'b1'})
    result, _module = run(client, session_id=['b1'])
    assert ids(result['already_gone']) == ['b1'] and result['closed'] == []
    assert result['changed'] is False and 'failed' not in result and result['counts']['already_gone'] == 1


def test_a_404_for_a_session_still_listed_is_remaining_and_fails(clock):
    client = FakeClient(BEFORE, stale={'b1'})
    result, _module = run(client, session_id=['b1', 'a1'], wait_timeout=4)
    assert result['failed'] is True and ids(result['remaining']) == ['b1'] and ids(result['closed']) == ['a1']
    assert [(f['target'], f['status']) for f in result['failed_targets']] == [('b1', 404)]
    assert result['already_gone'] == [] and clock.now == pytest.approx(4)


def test_one_failed_target_fails_the_task_and_the_others_still_close():
    client = FakeClient(BEFORE, fail={'alice'})
    result, _module = run(client, user=['alice', 'bob'], domain='d', concurrency=1)
    assert result['failed'] is True
    assert [(f['target'], f['type'], f['status']) for f in result['failed_targets']] == [('alice', 'user', 503)]
    assert ids(result['closed']) == ['b1'] and ids(result['remaining']) == ['a1', 'a2']
    assert 'user alice: ' in result['msg'] and 'still open after' not in result['msg']


def test_the_callers_lone_session_is_confirmed_then_spared(clock):
    client = FakeClient(BEFORE, spare='a2')
    result, _module = run(client, user=['alice'], domain='d', username='alice', token=None, password='pw')
    assert 'failed' not in result and result['caller'] == 'alice'
    assert ids(result['spared']) == ['a2'] and ids(result['closed']) == ['a1']
    assert clock.now >= _close.SURVIVOR_CONFIRM
    assert len([c for c in client.calls if c[0] == 'GET']) >= 3


@pytest.mark.parametrize('overrides', [dict(wait=False), dict(wait_timeout=0)], ids=['wait-false', 'timeout-0'])
def test_an_unconfirmed_lone_session_of_the_caller_is_not_spared(clock, overrides):
    client = FakeClient(BEFORE, spare='a2')
    result, _module = run(client, user=['alice'], domain='d', caller='alice', **overrides)
    assert clock.now < _close.SURVIVOR_CONFIRM
    assert result['spared'] == [] and ids(result['remaining']) == ['a2']


def test_the_caller_option_wins_over_username(clock):
    client = FakeClient(BEFORE, spare='a2')
    result, _module = run(client, user=['alice'], domain='d', username='alice', token=None, password='pw',
                          caller='svc', wait_timeout=3)
    assert result['failed'] is True and result['spared'] == [] and ids(result['remaining']) == ['a2']
    assert result['caller'] == 'svc' and 'set caller' not in result['msg']


def test_a_lone_survivor_with_an_unknown_caller_is_remaining_with_a_hint(clock):
    client = FakeClient(BEFORE, spare='a2')
    result, _module = run(client, user=['alice'], domain='d', wait_timeout=3)
    assert result['failed'] is True and result['spared'] == [] and ids(result['remaining']) == ['a2']
    assert 'set caller' in result['msg'] and result['caller'] is None
    assert clock.now == pytest.approx(3)


def test_two_survivors_of_the_caller_are_remaining(clock):
    client = FakeClient(BEFORE, ignore={'alice'})
    result, _module = run(client, user=['alice'], domain='d', caller='alice', wait_timeout=2)
    assert result['failed'] is True and result['spared'] == [] and ids(result['remaining']) == ['a1', 'a2']


def test_a_failed_listing_after_closing_claims_nothing_and_keeps_what_was_sent():
    client = FakeClient(BEFORE, list_error_at=2, fail={'a1'})
    result, _module = run(client, session_id=['a1', 'b1'])
    assert result['failed'] is True and result['changed'] is True and result['closed'] == []
    assert ids(result['unverified']) == ['b1']
    assert [f['target'] for f in result['failed_targets']] == ['a1']
    assert 'nothing is confirmed closed' in result['msg'] and 'listing broke' in result['msg']


def test_wait_false_lists_once_and_warns_about_what_is_still_open(clock):
    client = FakeClient(BEFORE, ignore={'b1'})
    result, module = run(client, session_id=['b1'], wait=False)
    assert [c[0] for c in client.calls] == ['GET', 'DELETE', 'GET'] and clock.sleeps == []
    assert ids(result['remaining']) == ['b1']
    assert any(w.startswith('wait is false and 1 targeted session(s)') for w in module.warnings)


def test_a_platform_ignoring_sites_is_refused_before_any_write(server):
    """With the real client: a listing for sites [east] that holds central entries stops the run."""
    server.add(json_body=BEFORE)
    client = IncoplaxClient(server.url, token='tok-5c1e9a', retries=0, timeout=5)
    with pytest.raises(IncoplaxApiError) as info:
        run(client, user=['alice'], domain='d', sites=['east'])
    assert 'not honouring sites' in str(info.value) and 'central (3)' in str(info.value)
    assert [r['method'] for r in server.requests] == ['GET']


# ---------------------------------------------------------------------------------------------------- properties

NAMES = ['alice', 'ALICE', 'bob', 'keeper', 'uid-keeper', 'uid-bob', 'robert']
listing_entries = st.builds(entry, st.sampled_from(['s1', 's2', 's3', 's4', '..']), st.sampled_from(NAMES),
                            site=st.sampled_from(['central', 'east']), user_id=st.sampled_from(NAMES + [None]))
module_options = st.one_of(
    st.fixed_dictionaries({'user': st.lists(st.sampled_from(NAMES), min_size=1, max_size=3), 'domain': st.just('d')}),
    st.fixed_dictionaries({'session_id': st.lists(st.sampled_from(['s1', 's2', 's5']), min_size=1, max_size=3)}),
    st.fixed_dictionaries({'match': st.fixed_dictionaries({'login': st.lists(st.sampled_from(NAMES), min_size=1)})}),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(listing_entries, max_size=8), module_options, st.lists(st.sampled_from(NAMES), max_size=2),
       st.booleans(), st.one_of(st.none(), st.integers(0, 3)))
def test_no_write_when_a_guard_refuses_or_in_check_mode(listing, options, protected, check_mode, max_sessions):
    client = FakeClient(listing)
    module = FakeModule(client, check_mode=check_mode, protected_users=protected, max_sessions=max_sessions,
                        wait_timeout=1, **options)
    result = _close.close_sessions(module)
    the_plan = _plan.plan(listing, _request.read_request(module.params))
    the_plan.refuse_above(max_sessions)
    written = client.writes()
    if check_mode or the_plan.refusal is not None:
        assert written == [], (check_mode, the_plan.refusal)
    if the_plan.refusal is not None:
        assert result['failed'] is True and 'nothing was closed' in result['msg']
    assert '..' not in [call[1] for call in written]
    # No write ever addresses a protected account, whatever the run did.
    protection = _request.Protection(protected, listing)
    for call in written:
        if call[0] == 'DELETE':
            assert not any(protection.covers(e) for e in listing if e['session_id'] == call[1] and e['site'] in call[2])
        else:
            assert not protection.covers_name(call[1])
    assert result['counts']['closed'] == len({e['session_id'] for e in result['closed']})
