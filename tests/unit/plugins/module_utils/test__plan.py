# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pure planning of ws_session (_plan.py): what to send, and what happened; what was asked is in test__request.py.

Property tests of the same invariants are in test__plan_properties.py; the I/O run is in test__close.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.incoplax.platform.plugins.module_utils import _plan
from ansible_collections.incoplax.platform.plugins.module_utils._errors import IncoplaxApiError
from incoplax_testing.modules import (  # pylint: disable=import-error
    plan_entry as entry, plan_listing, read_request as request,
)
from incoplax_testing.oracle import NFC_JOSE, NFD_JOSE  # pylint: disable=import-error

BEFORE = plan_listing()


def plan(before=None, **overrides):
    return _plan.plan(BEFORE if before is None else before, request(**overrides))


def ids(entries):
    return sorted({e['session_id'] for e in entries})


def rows(entries):
    return sorted((e['session_id'], e['site'], e['session_type']) for e in entries)


# ---------------------------------------------------------------------------------------------------- plan: session ids

def test_a_protected_name_that_matches_no_account_is_warned_about_as_a_possible_misspelling():
    the_plan = plan(session_id=['b1'], protected_users=['kepeer'])
    assert len(the_plan.warnings) == 1 and 'kepeer' in the_plan.warnings[0] and 'spelling' in the_plan.warnings[0]


def test_plan_by_id_groups_duplicate_entries_and_lists_absent_ids():
    the_plan = plan(session_id=['a1', 'zz'])
    assert [(t.kind, t.name, len(t.entries)) for t in the_plan.targets] == [('session_id', 'a1', 2)]
    assert the_plan.not_open == ['zz'] and the_plan.refusal is None
    assert the_plan.session_count == 1


def test_plan_by_id_narrows_each_delete_to_the_sites_of_its_entries():
    listing = [entry('m1', 'mia', site='west'), entry('m1', 'mia', site='central', session_type='websocket'),
               entry('n1', 'ned', site='east')]
    the_plan = plan(listing, session_id=['m1', 'n1'])
    assert [(t.name, t.scope) for t in the_plan.targets] == [('m1', ['central', 'west']), ('n1', ['east'])]


@pytest.mark.parametrize('protected', ['keeper', 'uid-keeper', 'KeePer', ' UID-KEEPER '])
def test_a_protected_session_id_refuses_the_whole_plan(protected):
    the_plan = plan(session_id=['b1', 'k1'], protected_users=[protected])
    assert the_plan.refusal is not None and the_plan.refusal.endswith('(nothing was closed)')
    assert 'session_id: k1 belongs to protected user keeper' in the_plan.refusal


# ---------------------------------------------------------------------------------------------------- plan: users

def test_plan_by_user_matches_login_or_id_within_the_domain():
    the_plan = plan(user=['alice', 'uid-bob', 'carol'], domain='d')
    assert [(t.name, len(t.entries)) for t in the_plan.targets] == [('alice', 3), ('uid-bob', 1)]
    assert the_plan.not_open == ['carol'] and the_plan.refusal is None
    assert all(t.scope == 'all' for t in the_plan.targets)


def test_one_account_named_by_login_and_id_is_one_target():
    the_plan = plan(user=['alice', 'uid-alice', ' alice'], domain='d')
    assert [t.name for t in the_plan.targets] == ['alice']
    assert the_plan.session_count == 2


@pytest.mark.parametrize('user', ['keeper', 'KEEPER', 'uid-keeper', 'Uid-Keeper'])
@pytest.mark.parametrize('protected', ['keeper', 'uid-keeper'])
def test_a_protected_account_named_in_user_refuses_the_whole_plan(user, protected):
    the_plan = plan(user=['alice', user], domain='d', protected_users=[protected])
    assert the_plan.refusal is not None and 'nothing was closed' in the_plan.refusal
    assert user in the_plan.refusal and 'remove' in the_plan.refusal


def test_a_protected_account_named_in_user_is_refused_even_without_a_session():
    the_plan = plan(user=['alice', 'ROOT'], domain='d', protected_users=['root'])
    assert the_plan.refusal is not None and 'ROOT' in the_plan.refusal


def test_a_protected_nfd_name_refuses_the_nfc_spelling_in_user():
    listing = BEFORE + [entry('j1', NFC_JOSE)]
    the_plan = plan(listing, user=[NFC_JOSE], domain='d', protected_users=[NFD_JOSE])
    assert the_plan.refusal is not None


def test_a_name_that_designates_two_accounts_is_refused_naming_both():
    listing = [entry('b1', 'bob'), entry('r1', 'robert', user_id='bob'), entry('x1', 'xavier')]
    the_plan = plan(listing, user=['bob', 'xavier'], domain='d')
    refusal = the_plan.refusal
    assert refusal is not None
    assert "'bob' designates 2 accounts" in refusal
    assert 'login bob (user id uid-bob)' in refusal and 'login robert (user id bob)' in refusal
    assert 'match: {login: [...], domain: [d]}' in refusal and 'match: {user_id: [...], domain: [d]}' in refusal


def test_a_name_shared_across_domains_is_not_ambiguous_within_one():
    listing = [entry('b1', 'bob'), entry('r1', 'robert', user_id='bob', domain='other')]
    the_plan = plan(listing, user=['bob'], domain='d')
    assert the_plan.refusal is None
    assert [e['session_id'] for e in the_plan.entries] == ['b1']


# ---------------------------------------------------------------------------------------------------- plan: match

def test_match_on_one_entry_targets_both_entries_of_the_session():
    the_plan = plan(match={'session_type': ['websocket']})
    assert [(t.name, len(t.entries)) for t in the_plan.targets] == [('a1', 2)]


def test_match_skips_protected_sessions_and_refuses_nothing():
    the_plan = plan(match={'site': ['east']}, protected_users=['uid-keeper'])
    assert [t.name for t in the_plan.targets] == ['a2', 'b1']
    assert [e['session_id'] for e in the_plan.skipped_protected] == ['k1']
    assert the_plan.refusal is None


def test_match_skips_an_id_whose_other_entry_is_protected():
    listing = [entry('s1', 'alice'), entry('s1', 'KEEPER', session_type='websocket'), entry('s2', 'alice')]
    the_plan = plan(listing, match={'login': ['alice']}, protected_users=['keeper'])
    assert [t.name for t in the_plan.targets] == ['s2']
    assert rows(the_plan.skipped_protected) == [('s1', 'central', 'http'), ('s1', 'central', 'websocket')]


def test_match_site_narrows_the_delete_to_the_matched_sites():
    listing = [entry('m1', 'mia', site='central'), entry('m1', 'mia', site='east'), entry('m1', 'mia', site='west')]
    the_plan = plan(listing, match={'site': ['east', 'west']}, sites='all')
    (target,) = the_plan.targets
    assert target.scope == ['east', 'west']
    assert rows(target.entries) == [('m1', 'east', 'http'), ('m1', 'west', 'http')]


def test_match_site_lets_an_id_be_closed_where_its_protected_twin_is_not_in_scope():
    listing = [entry('m1', 'keeper', site='central'), entry('m1', 'mia', site='east')]
    the_plan = plan(listing, match={'site': ['east']}, protected_users=['keeper'])
    assert [(t.name, t.scope) for t in the_plan.targets] == [('m1', ['east'])]
    assert the_plan.skipped_protected == []


@pytest.mark.parametrize('bad', ['.', '..', '', 'a b', 'x' * 1025])
def test_an_unsafe_id_from_the_listing_is_planned_but_never_sendable(bad):
    listing = [entry(bad, 'mallory'), entry('ok', 'mallory')]
    the_plan = plan(listing, match={'login': ['mallory']})
    problems = {t.name: t.problem for t in the_plan.targets}
    assert problems['ok'] is None
    assert problems[bad].startswith('not sent: ')
    assert the_plan.session_count == 1


# ---------------------------------------------------------------------------------------------------- delete_target

@pytest.mark.parametrize('sites, scope', [
    ('all', ['central', 'east', 'west']),
    (None, ['central', 'east', 'west']),
    ('current', ['central', 'east', 'west']),
    (['east', 'north'], ['east']),
    (['west', 'central', 'east'], ['central', 'east', 'west']),
])
def test_delete_target_scope_is_the_sorted_sites_of_its_entries_within_sites(sites, scope):
    entries = [entry('s', 'a', site='west'), entry('s', 'a', site='central'), entry('s', 'a', site='east'),
               entry('s', 'a', site='west', session_type='websocket')]
    target = _plan.delete_target('s', entries, sites)
    assert target.scope == scope and target.problem is None and target.kind == 'session_id'


@pytest.mark.parametrize('site', [None, 7, ['east']])
def test_delete_target_without_a_site_for_an_entry_is_not_sendable(site):
    entries = [entry('s', 'a', site='east'), dict(entry('s', 'a'), site=site)]
    target = _plan.delete_target('s', entries, 'all')
    assert target.problem is not None and 'no site' in target.problem and target.failed


def test_delete_target_with_an_unsafe_id_says_why():
    target = _plan.delete_target('..', [entry('..', 'a')], 'all')
    assert target.problem.startswith("not sent: '..' cannot be sent as one path segment")


# ---------------------------------------------------------------------------------------------------- max_sessions

def test_refuse_above_counts_sessions_not_entries():
    the_plan = plan(user=['alice'], domain='d')
    the_plan.refuse_above(2)
    assert the_plan.refusal is None
    the_plan.refuse_above(1)
    assert the_plan.refusal.startswith('max_sessions: 2 sessions would be closed, more than max_sessions=1')


def test_refuse_above_zero_refuses_any_and_none_refuses_nothing():
    the_plan = plan(session_id=['b1'])
    the_plan.refuse_above(None)
    assert the_plan.refusal is None
    the_plan.refuse_above(0)
    assert the_plan.refusal is not None


def test_refusals_are_joined_in_one_message():
    listing = [entry('b1', 'bob'), entry('r1', 'robert', user_id='bob'), entry('k1', 'keeper')]
    the_plan = plan(listing, user=['bob', 'keeper'], domain='d', protected_users=['keeper'])
    the_plan.refuse_above(0)
    assert len(the_plan.refusals) == 3
    assert the_plan.refusal.count('; ') >= 2 and the_plan.refusal.endswith('(nothing was closed)')


# ---------------------------------------------------------------------------------------------------- outcome

def after_without(*gone):
    return [e for e in BEFORE if e['session_id'] not in gone]


def test_closed_only_when_no_longer_listed():
    the_plan = plan(session_id=['a1', 'b1'])
    found = _plan.outcome(the_plan.targets, after_without('a1'), False, None)
    assert rows(found.closed) == [('a1', 'central', 'http'), ('a1', 'central', 'websocket')]
    assert rows(found.remaining) == [('b1', 'east', 'http')]
    assert found.already_gone == [] and found.spared == [] and found.failed_targets == []


def test_404_and_no_longer_listed_is_already_gone_not_closed():
    the_plan = plan(session_id=['b1'])
    the_plan.targets[0].not_found = True
    found = _plan.outcome(the_plan.targets, after_without('b1'), False, None)
    assert ids(found.already_gone) == ['b1']
    assert found.closed == [] and found.remaining == [] and found.failed_targets == []


def test_404_while_still_listed_is_remaining_and_a_failed_target():
    the_plan = plan(session_id=['b1'])
    the_plan.targets[0].not_found = True
    found = _plan.outcome(the_plan.targets, BEFORE, False, None)
    assert ids(found.remaining) == ['b1'] and found.closed == [] and found.already_gone == []
    (failure,) = found.failed_targets
    assert failure['target'] == 'b1' and failure['status'] == 404 and 'still listed' in failure['error']


def test_a_failed_request_is_a_failed_target_with_its_status():
    the_plan = plan(user=['alice', 'bob'], domain='d')
    the_plan.targets[0].error = IncoplaxApiError('POST', '/x', 503, 'busy')
    found = _plan.outcome(the_plan.targets, after_without('b1'), False, 'bob')
    assert [(f['target'], f['type'], f['status']) for f in found.failed_targets] == [('alice', 'user', 503)]
    assert 'busy' in found.failed_targets[0]['error']
    assert ids(found.remaining) == ['a1', 'a2'] and ids(found.closed) == ['b1']
    assert found.spared == [] and found.lone_survivors == []


def test_a_problem_target_is_failed_and_remaining_without_being_sent():
    target = _plan.delete_target('..', [entry('..', 'a')], 'all')
    found = _plan.outcome([target], [], False, None)
    assert found.remaining == target.entries and found.closed == []
    assert found.failed_targets == [{'target': '..', 'type': 'session_id', 'error': target.problem, 'status': None}]


@pytest.mark.parametrize('caller', ['alice', 'uid-alice'])
def test_lone_survivor_of_the_callers_own_logout_is_spared(caller):
    the_plan = plan(user=['alice'], domain='d')
    found = _plan.outcome(the_plan.targets, after_without('a1'), False, caller, confirmed=True)
    assert ids(found.spared) == ['a2'] and ids(found.closed) == ['a1']
    assert found.remaining == [] and found.lone_survivors == [] and found.failed_targets == []
    unconfirmed = _plan.outcome(the_plan.targets, after_without('a1'), False, caller)
    assert unconfirmed.spared == [] and ids(unconfirmed.remaining) == ['a2']


@pytest.mark.parametrize('caller', [None, '', 'bob', 'ALICE', ' alice', 'alic'])
def test_lone_survivor_of_another_account_is_remaining(caller):
    the_plan = plan(user=['alice'], domain='d')
    found = _plan.outcome(the_plan.targets, after_without('a1'), False, caller)
    assert found.spared == [] and ids(found.remaining) == ['a2']
    assert found.lone_survivors == ['alice']


def test_the_caller_matches_only_by_exact_nfc_name():
    listing = [entry('j1', NFD_JOSE), entry('j2', NFD_JOSE, site='east')]
    the_plan = plan(listing, user=[NFD_JOSE], domain='d')
    spared = _plan.outcome(the_plan.targets, listing[1:], False, NFC_JOSE, confirmed=True).spared
    assert ids(spared) == ['j2']
    assert _plan.outcome(the_plan.targets, listing[1:], False, NFC_JOSE.upper(), confirmed=True).spared == []


def test_two_survivors_of_the_caller_are_remaining():
    the_plan = plan(user=['alice'], domain='d')
    found = _plan.outcome(the_plan.targets, BEFORE, False, 'alice')
    assert found.spared == [] and ids(found.remaining) == ['a1', 'a2'] and found.lone_survivors == []


def test_a_delete_target_is_never_spared_even_for_the_caller():
    the_plan = plan(session_id=['b1'])
    found = _plan.outcome(the_plan.targets, BEFORE, False, 'bob')
    assert found.spared == [] and ids(found.remaining) == ['b1']
    assert not _plan.is_caller(the_plan.targets[0], 'bob')


def test_check_mode_predicts_every_planned_entry_and_reads_no_listing():
    the_plan = plan(user=['alice', 'bob'], domain='d')
    found = _plan.outcome(the_plan.targets, None, True, 'alice')
    assert len(found.closed) == 4 and found.spared == [] and found.remaining == [] and found.already_gone == []


# ---------------------------------------------------------------------------------------------------- counts, result

def test_counts_are_distinct_sessions_and_entries_separately():
    the_plan = plan(session_id=['a1', 'b1', 'k1', 'zz'])
    found = _plan.outcome(the_plan.targets, after_without('a1', 'b1'), False, None)
    got = _plan.counts(the_plan, found)
    assert got == {'before': 3, 'closed': 2, 'total': 2, 'entries': 3, 'by_site': {'central': 1, 'east': 1},
                   'already_gone': 0, 'remaining': 1, 'spared': 0, 'unverified': 0, 'skipped_protected': 0,
                   'not_open': 1, 'failed_targets': 0}


def result(the_plan, found, caller=None, check_mode=False, wait=True, diff_mode=False, req=None, **extra):
    return _plan.result_of(req or request(session_id=['x']), the_plan, found, caller, check_mode, wait, 30, diff_mode,
                           **extra)


DOCUMENTED_KEYS = {'changed', 'msg', 'closed', 'already_gone', 'spared', 'remaining', 'skipped_protected',
                   'failed_targets', 'not_open', 'counts', 'sites', 'caller'}


def test_result_of_a_clean_run():
    the_plan = plan(session_id=['a1', 'b1'])
    found = _plan.outcome(the_plan.targets, after_without('a1', 'b1'), False, None)
    got = result(the_plan, found, diff_mode=True)
    assert set(got) == DOCUMENTED_KEYS | {'diff'}
    assert got['changed'] is True and 'failed' not in got and got['msg'] == 'closed 2 session(s)'
    assert got['diff']['before']['sessions'][0] == {'session_id': 'a1', 'login': 'alice', 'site': 'central',
                                                    'session_type': 'http'}
    assert len(got['diff']['before']['sessions']) == 3 and got['diff']['after']['sessions'] == []


def test_result_of_check_mode_says_would_close():
    the_plan = plan(user=['alice'], domain='d')
    got = result(the_plan, _plan.outcome(the_plan.targets, None, True, None), check_mode=True)
    assert got['changed'] is True and got['msg'] == 'would close 2 session(s)' and 'failed' not in got


def test_result_of_a_refused_plan_keeps_the_listing_and_changes_nothing():
    the_plan = plan(user=['alice', 'keeper'], domain='d', protected_users=['keeper'])
    got = result(the_plan, _plan.refused(the_plan))
    assert got['failed'] is True and got['changed'] is False and got['closed'] == []
    assert 'nothing was closed' in got['msg'] and 'still open after' not in got['msg']
    assert got['counts']['before'] == 3 and got['counts']['remaining'] == 3


def test_result_of_a_non_caller_survivor_hints_at_caller_when_it_is_unknown():
    the_plan = plan(user=['alice'], domain='d')
    found = _plan.outcome(the_plan.targets, after_without('a1'), False, None)
    got = result(the_plan, found)
    assert got['failed'] is True and got['caller'] is None
    assert 'the last session of alice stayed open' in got['msg'] and 'set caller (or INCOPLAX_CALLER)' in got['msg']
    assert '1 session(s) still open after 30 s: a2 (alice, east)' in got['msg']


def test_result_of_a_non_caller_survivor_gives_no_caller_hint_when_the_caller_is_known():
    the_plan = plan(user=['alice'], domain='d')
    found = _plan.outcome(the_plan.targets, after_without('a1'), False, 'bob')
    got = result(the_plan, found, caller='bob')
    assert got['failed'] is True and 'set caller' not in got['msg'] and got['caller'] == 'bob'
    assert 'still open after 30 s' in got['msg']


def test_result_of_the_callers_spared_session_is_a_success():
    the_plan = plan(user=['alice'], domain='d')
    found = _plan.outcome(the_plan.targets, after_without('a1'), False, 'alice', confirmed=True)
    got = result(the_plan, found, caller='alice', diff_mode=True)
    assert 'failed' not in got and ids(got['spared']) == ['a2'] and got['counts']['spared'] == 1
    assert [s['session_id'] for s in got['diff']['after']['sessions']] == ['a2']


def test_result_of_a_failed_target_names_it():
    the_plan = plan(session_id=['b1'])
    the_plan.targets[0].not_found = True
    got = result(the_plan, _plan.outcome(the_plan.targets, BEFORE, False, None))
    assert got['failed'] is True and 'session_id b1: DELETE answered 404' in got['msg']
    assert got['changed'] is False and got['counts']['failed_targets'] == 1


def test_result_of_an_unverified_run_claims_nothing():
    the_plan = plan(session_id=['b1'])
    found = _plan.Outcome()
    got = result(the_plan, found, unverified=the_plan.entries, verify_error='GET failed: HTTP 500')
    assert got['failed'] is True and got['changed'] is True and got['closed'] == []
    assert ids(got['unverified']) == ['b1'] and got['counts']['unverified'] == 1
    assert 'nothing is confirmed closed' in got['msg'] and 'HTTP 500' in got['msg']


def test_warnings_name_absent_targets_and_unwaited_remaining():
    req = request(user=['alice', 'nobody'], domain='d', sites='ALL')
    the_plan = _plan.plan(BEFORE, req)
    found = _plan.outcome(the_plan.targets, BEFORE, False, None)
    warnings = _plan.warnings_of(req, the_plan, found, wait=False)
    assert any("'ALL'" in w for w in warnings)
    assert any(w.startswith('no open session found on these sites for user: nobody') for w in warnings)
    assert any(w.startswith('wait is false and 2 targeted session(s)') for w in warnings)
    assert not any(w.startswith('wait is false') for w in _plan.warnings_of(req, the_plan, found, wait=True))
