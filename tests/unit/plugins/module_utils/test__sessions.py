# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

import pytest

from ansible_collections.incoplax.platform.plugins.module_utils._sessions import (
    MAX_SESSION_ID_LENGTH,
    count_by_site,
    filter_sessions,
    group_by_id,
    index_by_user,
    scope_violation,
    session_id_problem,
    summarize,
)
from incoplax_testing import cast  # pylint: disable=import-error

# Listing entries without a ttl, in domain d1 unless said otherwise.
entry = functools.partial(cast.entry, domain='d1', ttl=cast.OMIT)


ENTRIES = [
    entry('s1', 'alice'),
    entry('s1', 'alice', session_type='websocket'),
    entry('s2', 'bob', site='east'),
    entry('s3', 'carol', site='east', domain='d2'),
]


def test_no_filter_returns_everything():
    assert filter_sessions(ENTRIES, {}) == ENTRIES


def test_or_within_a_field():
    assert [e['session_id'] for e in filter_sessions(ENTRIES, {'login': ['bob', 'carol']})] == ['s2', 's3']


def test_and_between_fields():
    assert filter_sessions(ENTRIES, {'login': ['alice'], 'session_type': ['websocket']}) == [ENTRIES[1]]
    assert filter_sessions(ENTRIES, {'site': ['east'], 'domain': ['d1']}) == [ENTRIES[2]]


def test_entries_missing_a_field_do_not_match_that_field():
    assert filter_sessions([{'session_id': 'x'}], {'login': ['alice']}) == []


def test_summary_counts_entries_and_unique_ids():
    summary = summarize(ENTRIES)
    assert summary == {
        'total': 4, 'unique_session_ids': 3,
        'by_site': {'central': 2, 'east': 2},
        'by_login': {'alice': 2, 'bob': 1, 'carol': 1},
        'by_type': {'http': 3, 'websocket': 1},
    }


def test_summary_of_nothing():
    assert summarize([]) == {'total': 0, 'unique_session_ids': 0, 'by_site': {}, 'by_login': {}, 'by_type': {}}


# ---------------------------------------------------------------------------------------------------- session ids

@pytest.mark.parametrize('bad', ['', '.', '..', 'a b', ' a', 'a\tb', 'a\x00b', 'a\nb', 'a\u00a0b', 'a\u2028b',
                                 'a\u200bb', 'a\x7fb', 'x' * (MAX_SESSION_ID_LENGTH + 1), 5, None, b'a1', ['a1']])
def test_session_id_problem_refuses_what_cannot_be_one_path_segment(bad):
    problem = session_id_problem(bad)
    assert problem is not None and problem.strip()


@pytest.mark.parametrize('good', ['51e6cad2-0176-8f8e-a432-e0d55e0cd303', 'a/b', '%2F', '\u00e9', '...', '.a', 'a..b',
                                  '\u4e2d', 'x' * MAX_SESSION_ID_LENGTH])
def test_session_id_problem_accepts_ids_the_client_can_encode(good):
    assert session_id_problem(good) is None


def test_session_id_problem_says_why():
    assert 'longer than %d' % MAX_SESSION_ID_LENGTH in session_id_problem('x' * 2000)
    assert 'whitespace or control' in session_id_problem('a b')
    assert 'one path segment' in session_id_problem('..')


# ---------------------------------------------------------------------------------------------------- scope

def test_scope_violation_all_accepts_any_listing():
    assert scope_violation(ENTRIES + [{'session_id': 'z'}], 'all') is None


def test_scope_violation_list_names_the_sites_outside_with_counts():
    text = scope_violation(ENTRIES + [{'session_id': 'z', 'site': ['east']}], ['east'])
    assert text is not None and 'answered 3 session entries on sites outside the requested scope east: ' in text
    assert 'central (2)' in text and 'no site (1)' in text and 'east (' not in text
    assert 'nothing was sent' in text
    assert scope_violation(ENTRIES, ['east', 'central']) is None
    assert scope_violation([], ['east']) is None


@pytest.mark.parametrize('sites', [None, 'current'])
def test_scope_violation_current_accepts_one_site_only(sites):
    assert scope_violation(ENTRIES[:2], sites) is None
    assert scope_violation([], sites) is None
    text = scope_violation(ENTRIES, sites)
    assert 'the current site (one site)' in text and 'central (2), east (2)' in text
    assert scope_violation([ENTRIES[0], {'session_id': 'z'}], sites) is not None


# ---------------------------------------------------------------------------------------------------- indexes

def test_group_by_id_keeps_first_seen_order_and_both_entries_of_a_session():
    assert [(k, len(v)) for k, v in group_by_id(ENTRIES).items()] == [('s1', 2), ('s2', 1), ('s3', 1)]


def test_index_by_user_finds_an_account_by_login_and_id_within_its_domain():
    index = index_by_user(ENTRIES + [{'session_id': 'z', 'login': 'same', 'user_id': 'same', 'domain': 'd1'}])
    assert index[('d1', 'alice')] == index[('d1', 'uid-alice')] == ENTRIES[:2]
    assert ('d1', 'carol') not in index and index[('d2', 'carol')] == [ENTRIES[3]]
    assert len(index[('d1', 'same')]) == 1


def test_count_by_site_counts_sessions_not_entries():
    assert count_by_site(ENTRIES) == {'central': 1, 'east': 2}
