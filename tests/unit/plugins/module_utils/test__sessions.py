# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.incoplax.platform.plugins.module_utils._sessions import filter_sessions, summarize


def entry(session_id, login, site='central', session_type='http', domain='d1', user_id=None):
    return {'session_id': session_id, 'login': login, 'site': site, 'session_type': session_type,
            'domain': domain, 'user_id': user_id or 'id-' + login}


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
