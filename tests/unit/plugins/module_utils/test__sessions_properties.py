# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Property-based tests of _sessions.py: session lists of any JSON shape the client accepts never crash the
filtering and summaries; the scope check and the session id check hold against independent oracles.

The client only checks that the answer is a list of objects with a string ``session_id``; every other field
may hold any JSON value (the vendor documents none of the error cases). Filtering and summaries must then
work (a malformed field simply matches nothing), never fail with a Python exception such as
``TypeError: unhashable type``. The close plan over the same listings is tested in test__plan_properties.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ansible_collections.incoplax.platform.plugins.module_utils._api import validate_session_list
from ansible_collections.incoplax.platform.plugins.module_utils._sessions import (
    MAX_SESSION_ID_LENGTH,
    filter_sessions,
    scope_violation,
    session_id_problem,
    sort_entries,
    summarize,
)

FAST = settings(max_examples=300, deadline=None)
FIELDS = ('login', 'user_id', 'domain', 'site', 'session_type')
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
                           lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
                           max_leaves=4)
field_values = st.one_of(st.sampled_from(['alice', 'bob', 'central', 'http', 'master.domain']), json_values)
entries = st.lists(st.fixed_dictionaries({'session_id': st.sampled_from(['s1', 's2', 's3', 's4'])},
                                         optional={field: field_values for field in FIELDS}), max_size=6)
ODD = [{'session_id': 's1', 'login': ['alice'], 'user_id': {'id': 1}, 'site': None, 'domain': 7},
       {'session_id': 's2', 'login': 'bob', 'user_id': 'u-2', 'site': 'central', 'domain': 'master.domain'}]


@FAST
@given(entries)
@example(ODD)
def test_filters_and_summaries_never_crash(data):
    validate_session_list(data, 'GET', '/x')
    summary = summarize(data)
    assert summary['total'] == len(data)
    assert summary['unique_session_ids'] == len({e['session_id'] for e in data})
    json.dumps(summary)
    assert sorted(map(json.dumps, sort_entries(data))) == sorted(map(json.dumps, data))
    for key, wanted in (('login', ['alice']), ('user_id', ['u-2']), ('domain', ['master.domain']), ('session_type', ['http'])):
        matched = filter_sessions(data, {key: wanted})
        assert matched == [entry for entry in data if isinstance(entry.get(key), str) and entry[key] in wanted]


# ---------------------------------------------------------------------------------------------------- scope

SITES = ['central', 'east', 'west']
site_values = st.one_of(st.sampled_from(SITES), st.none(), st.lists(st.sampled_from(SITES), max_size=1), st.integers())
scoped_entries = st.lists(st.fixed_dictionaries({'session_id': st.just('s')}, optional={'site': site_values}), max_size=6)


def site_of(entry):
    return entry.get('site') if isinstance(entry.get('site'), str) else None


@FAST
@given(scoped_entries, st.lists(st.sampled_from(SITES), min_size=1, max_size=3, unique=True))
@example([{'session_id': 's', 'site': ['east']}], ['east'])
def test_a_list_scope_is_violated_exactly_by_entries_on_other_sites(listing, sites):
    outside = [e for e in listing if site_of(e) not in sites]
    text = scope_violation(listing, sites)
    assert (text is None) == (not outside)
    if text is not None:
        assert 'answered %d session entries on sites outside the requested scope %s' % (len(outside), ', '.join(sites)) in text
        for site in {site_of(e) for e in outside}:
            assert '%s (' % (site if site is not None else 'no site') in text
        for site in set(sites) - {site_of(e) for e in outside}:
            assert '%s (' % site not in text


@FAST
@given(scoped_entries, st.sampled_from([None, 'current']))
def test_the_current_scope_is_violated_by_any_listing_spanning_two_sites(listing, sites):
    spanned = {site_of(e) for e in listing}
    text = scope_violation(listing, sites)
    assert (text is None) == (len(spanned) <= 1)
    if text is not None:
        assert 'the current site (one site)' in text and 'nothing was sent' in text


@FAST
@given(scoped_entries)
def test_the_all_scope_is_never_violated(listing):
    assert scope_violation(listing, 'all') is None


# ---------------------------------------------------------------------------------------------------- session ids

def sendable(session_id):
    """Oracle: a string, not empty, '.' or '..', at most the limit, and only printable non-space characters."""
    return (isinstance(session_id, str) and session_id not in ('', '.', '..') and len(session_id) <= MAX_SESSION_ID_LENGTH
            and all(ch.isprintable() and not ch.isspace() for ch in session_id))


@FAST
@given(st.one_of(st.text(max_size=20), st.text(alphabet='./% \t\x00\u00a0\u200b\u2028a', max_size=4),
                 st.integers(MAX_SESSION_ID_LENGTH - 1, MAX_SESSION_ID_LENGTH + 1).map(lambda n: 'a' * n),
                 st.none(), st.integers(), st.lists(st.text(max_size=2), max_size=1)))
@example('...')
@example('..')
@example('a/b')
@example('\u200b')
def test_session_id_problem_matches_the_oracle(session_id):
    problem = session_id_problem(session_id)
    assert (problem is None) == sendable(session_id), (session_id, problem)
    if problem is not None:
        assert isinstance(problem, str) and problem
