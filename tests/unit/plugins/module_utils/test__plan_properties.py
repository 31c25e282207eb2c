# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Property-based tests of _plan.py: the safety invariants of ws_session, for any listing and any request.

Each invariant is checked against the independent oracle of incoplax_testing.oracle and closed_by below, not
against the code's own helpers (the rules on names and protection are tested in test__request_properties.py):
- no request that may be sent can close an entry of a protected account, and no logout names two accounts;
- a DELETE carries exactly the sites of its entries (within ``sites``), and ``match.site`` narrows it;
- every planned entry ends in exactly one of closed, already_gone, spared or remaining, each for its reason;
- listings of any JSON shape the client accepts never crash the plan, the outcome or the result.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import unicodedata

from collections import Counter

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ansible_collections.incoplax.platform.plugins.module_utils import _plan, _request
from ansible_collections.incoplax.platform.plugins.module_utils._errors import IncoplaxApiError
from incoplax_testing.modules import ws_session_params as params  # pylint: disable=import-error
from incoplax_testing.oracle import (  # pylint: disable=import-error
    DOMAINS, FAST, SESSION_IDS, SITES, is_protected, key, listings, names, protected_keys, requests, sites_options,
    typed_names,
)


def closed_by(target, listing, domain):
    """What the platform closes when it receives ``target``: every listed entry the request addresses."""
    if target.kind == _plan.SESSION_TARGET:
        return [e for e in listing if e['session_id'] == target.name and e['site'] in target.scope]
    in_scope = (lambda e: e['site'] in target.scope) if isinstance(target.scope, list) else (lambda e: True)
    return [e for e in listing if e['domain'] == domain and target.name in (e['login'], e['user_id']) and in_scope(e)]


@FAST
@given(listings, requests())
@example([{'session_id': 's1', 'login': 'bob', 'user_id': 'u1', 'site': 'east', 'domain': 'd', 'session_type': 'http'},
          {'session_id': 's2', 'login': 'robert', 'user_id': 'bob', 'site': 'east', 'domain': 'd',
           'session_type': 'http'}],
         _request.read_request(params(user=['bob'], domain='d')))
@example([{'session_id': 's1', 'login': 'alice', 'user_id': 'u1', 'site': 'east', 'domain': 'd', 'session_type': 'http'},
          {'session_id': 's1', 'login': 'keeper', 'user_id': 'u2', 'site': 'west', 'domain': 'd',
           'session_type': 'websocket'}],
         _request.read_request(params(match={'login': ['alice']}, protected_users=['KEEPER'])))
def test_nothing_that_may_be_sent_reaches_a_protected_account_or_two_accounts(listing, request):
    the_plan = _plan.plan(listing, request)
    if the_plan.refusal is not None:
        return
    keys = protected_keys(listing, request['protected'])
    planned = [id(e) for target in the_plan.targets for e in target.entries]
    assert len(planned) == len(set(planned)), 'an entry is targeted twice'
    for target in the_plan.targets:
        if target.problem is not None:
            continue
        reached = closed_by(target, listing, request['domain'])
        assert not any(is_protected(e, keys) for e in reached), (target.name, target.scope, request['protected'])
        if target.kind == _plan.USER_TARGET:
            assert key(target.name) not in keys
            assert len({(e['login'], e['user_id']) for e in reached}) <= 1, target.name
    # A skipped session is reported, never also sent.
    sent = {(target.name, site) for target in the_plan.targets if target.kind == _plan.SESSION_TARGET
            for site in target.scope}
    assert not sent & {(e['session_id'], e['site']) for e in the_plan.skipped_protected}


@FAST
@given(listings, st.lists(typed_names, min_size=1, max_size=3), st.sampled_from(DOMAINS), st.data())
def test_a_protected_account_in_user_always_refuses_the_plan(listing, others, domain, data):
    protected = data.draw(names)
    spelled = data.draw(st.sampled_from([protected, protected.upper(), unicodedata.normalize('NFD', protected),
                                         ' %s ' % protected]))
    request = _request.read_request(params(user=others + [spelled], domain=domain, protected_users=[protected]))
    the_plan = _plan.plan(listing, request)
    assert the_plan.refusal is not None and the_plan.refusal.endswith('(nothing was closed)')


# ---------------------------------------------------------------------------------------------------- scope

@FAST
@given(st.lists(st.sampled_from(SITES + [None]), min_size=1, max_size=5), sites_options,
       st.sampled_from(['s1', 'a/b', '...', '..', '']))
def test_delete_scope_covers_exactly_the_sites_of_its_entries(entry_sites, sites, session_id):
    entries = [{'session_id': session_id, 'login': 'a', 'user_id': 'u', 'site': site} for site in entry_sites]
    target = _plan.delete_target(session_id, entries, sites)
    listed = {site for site in entry_sites if site is not None}
    expected = listed & set(sites) if isinstance(sites, list) else listed
    assert target.scope == sorted(expected)
    assert (target.problem is None) == (None not in entry_sites and session_id not in ('..', '') and bool(expected))
    if target.problem is not None:
        assert target.problem.startswith('not sent: ')


@FAST
@given(listings, st.lists(st.sampled_from(SITES), min_size=1, max_size=2, unique=True),
       st.lists(names, min_size=1, max_size=2), st.sampled_from([None, 'all', 'current']))
def test_match_site_narrows_every_delete_to_the_matched_sites(listing, match_sites, logins, sites):
    request = _request.read_request(params(match={'site': match_sites, 'login': logins}, sites=sites))
    the_plan = _plan.plan(listing, request)
    for target in the_plan.targets:
        assert set(target.scope) <= set(match_sites)
        assert target.scope == sorted({e['site'] for e in target.entries})
        # Every entry the DELETE closes (its id on its scope) was matched, or shares its id and site with one.
        matched_ids_sites = {(e['session_id'], e['site']) for e in listing if e['site'] in match_sites
                             and e['login'] in logins}
        assert {(target.name, site) for site in target.scope} <= matched_ids_sites


# ---------------------------------------------------------------------------------------------------- outcome

@st.composite
def runs(draw):
    """A plan, what happened to each request (error, 404), the listing after, the caller and the mode."""
    listing = draw(listings)
    request = draw(requests())
    the_plan = _plan.plan(listing, request)
    for target in the_plan.targets:
        if target.problem is None:
            if draw(st.booleans()) and draw(st.booleans()):
                target.error = IncoplaxApiError('POST', '/x', draw(st.sampled_from([None, 500, 503])), 'boom')
            elif target.kind == _plan.SESSION_TARGET and draw(st.booleans()):
                target.not_found = True
    survivors = draw(st.sets(st.sampled_from(SESSION_IDS)))
    after = [entry for entry in listing if entry['session_id'] in survivors]
    caller = draw(st.one_of(st.none(), names))
    return the_plan, after, caller, draw(st.booleans()), draw(st.booleans())


@settings(max_examples=500, deadline=None)
@given(runs())
def test_every_planned_entry_lands_in_exactly_one_outcome_for_its_reason(run):
    the_plan, after, caller, check_mode, confirmed = run
    found = _plan.outcome(the_plan.targets, None if check_mode else after, check_mode, caller, confirmed)
    planned = Counter(id(e) for target in the_plan.targets for e in target.entries)
    landed = Counter(id(e) for part in (found.closed, found.already_gone, found.spared, found.remaining) for e in part)
    assert landed == planned

    after_ids = {e['session_id'] for e in after}
    # (entry, part) pairs with multiplicity: an entry of two targets (only in a plan a guard refuses) lands twice.
    landed_in = Counter((id(e), name) for name in ('closed', 'already_gone', 'spared', 'remaining')
                        for e in getattr(found, name))
    expected_in = Counter()
    failed = []
    for target in the_plan.targets:
        still = {e['session_id'] for e in target.entries} & after_ids
        caller_survivor = (not check_mode and target.problem is None and target.error is None
                           and _plan.is_caller(target, caller) and confirmed and len(still) == 1)
        for e in target.entries:
            if target.problem is not None:
                expected = 'remaining'
            elif check_mode:
                expected = 'closed'
            elif e['session_id'] in still:
                expected = 'spared' if caller_survivor else 'remaining'
            elif target.not_found:
                expected = 'already_gone'
            else:
                expected = 'closed'
            expected_in[(id(e), expected)] += 1
        if target.problem is not None:
            failed.append((target.name, None))
        elif check_mode:
            continue
        elif target.error is not None:
            failed.append((target.name, target.error.status))
        elif target.not_found and still:
            failed.append((target.name, 404))
    assert landed_in == expected_in
    assert [(item['target'], item['status']) for item in found.failed_targets] == failed
    if the_plan.refusal is None:
        # Only the caller's own account keeps a session (plans a guard refused are never run).
        for e in found.spared:
            assert caller is not None and unicodedata.normalize('NFC', caller) in (
                unicodedata.normalize('NFC', e['login']), unicodedata.normalize('NFC', e['user_id']))
    for name in found.lone_survivors:
        (target,) = [t for t in the_plan.targets if t.name == name and t.kind == _plan.USER_TARGET]
        assert not _plan.is_caller(target, caller)


@FAST
@given(runs())
def test_counts_are_distinct_sessions_of_each_outcome(run):
    the_plan, after, caller, check_mode, confirmed = run
    found = _plan.outcome(the_plan.targets, after, check_mode, caller, confirmed)
    counts = _plan.counts(the_plan, found)
    for name in ('closed', 'already_gone', 'spared', 'remaining'):
        assert counts[name] == len({e['session_id'] for e in getattr(found, name)})
    assert counts['entries'] == len(found.closed)
    assert sum(counts['by_site'].values()) >= counts['closed']
    assert counts['before'] == len({e['session_id'] for e in the_plan.entries})


# ---------------------------------------------------------------------------------------------------- odd listings

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=4)
field_values = st.one_of(st.sampled_from(['alice', 'bob', 'u-2', 'central', 'http', 'master.domain']), json_values)
odd_entries = st.lists(st.fixed_dictionaries({'session_id': st.sampled_from(['s1', 's2', 's3', 's4'])},
                                             optional={field: field_values for field in
                                                       ('login', 'user_id', 'domain', 'site', 'session_type')}),
                       max_size=6)
ODD = [{'session_id': 's1', 'login': ['alice'], 'user_id': {'id': 1}, 'site': None, 'domain': 7},
       {'session_id': 's2', 'login': 'bob', 'user_id': 'u-2', 'site': 'central', 'domain': 'master.domain'}]
ODD_CASES = [
    dict(session_id=['s1', 's3']),
    dict(session_id=['s2'], protected_users=['alice']),
    dict(user=['bob', 'u-2'], domain='master.domain'),
    dict(user=['alice'], domain='master.domain', protected_users=['carol']),
    dict(match={'login': ['bob']}),
    dict(match={'site': ['central'], 'session_type': ['http']}, protected_users=['alice']),
]


@settings(max_examples=300, deadline=None)
@given(odd_entries, st.sets(st.sampled_from(['s1', 's2', 's3', 's4'])))
@example(ODD, set())
def test_odd_listings_never_crash_the_plan_the_outcome_or_the_result(data, survivors):
    after = [entry for entry in data if entry['session_id'] in survivors]
    for case in ODD_CASES:
        request = _request.read_request(params(**case))
        the_plan = _plan.plan(data, request)
        found = _plan.outcome(the_plan.targets, after, False, 'bob')
        result = _plan.result_of(request, the_plan, found, 'bob', False, True, 30, True)
        json.dumps(result)
        assert result['counts']['closed'] == len({e['session_id'] for e in found.closed})
        # An entry without a usable site is never sent: it cannot be closed by this run.
        for target in the_plan.targets:
            if target.kind == _plan.SESSION_TARGET and any(not isinstance(e.get('site'), str) for e in target.entries):
                assert target.problem is not None
                assert not any(e in found.closed for e in target.entries)
