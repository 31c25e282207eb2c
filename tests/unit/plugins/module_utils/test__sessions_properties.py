# -*- coding: utf-8 -*-
# Copyright: Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Property-based tests: session lists of any JSON shape the client accepts never crash the filtering and planning.

The client only checks that the answer is a list of objects with a string ``session_id``; every other field
may hold any JSON value (the vendor documents none of the error cases). Filtering, summaries and the close plan
must then either work (a malformed field simply matches nothing) or fail with the collection's own errors,
never with a Python exception such as ``TypeError: unhashable type``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ansible_collections.incoplax.platform.plugins.module_utils._api import IncoplaxApiError, validate_session_list
from ansible_collections.incoplax.platform.plugins.module_utils._args import ParameterError
from ansible_collections.incoplax.platform.plugins.module_utils._close import counts, diff_of, outcome, plan
from ansible_collections.incoplax.platform.plugins.module_utils._sessions import filter_sessions, sort_entries, summarize

FIELDS = ('login', 'user_id', 'domain', 'site', 'session_type')
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
                           lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
                           max_leaves=4)
field_values = st.one_of(st.sampled_from(['alice', 'bob', 'central', 'http', 'master.domain']), json_values)
entries = st.lists(st.fixed_dictionaries({'session_id': st.sampled_from(['s1', 's2', 's3', 's4'])},
                                         optional={field: field_values for field in FIELDS}), max_size=6)
ODD = [{'session_id': 's1', 'login': ['alice'], 'user_id': {'id': 1}, 'site': None, 'domain': 7},
       {'session_id': 's2', 'login': 'bob', 'user_id': 'u-2', 'site': 'central', 'domain': 'master.domain'}]


def survives(action):
    """Run ``action``; the collection's own errors are fine, any other exception is a crash."""
    try:
        return action()
    except (ParameterError, IncoplaxApiError):
        return None


@settings(max_examples=300, deadline=None)
@given(entries)
@example(ODD)
def test_filters_and_summaries_never_crash(data):
    validate_session_list(data, 'GET', '/x')
    summary = summarize(data)
    assert summary['total'] == len(data)
    json.dumps(summary)
    sort_entries(data)
    for key, wanted in (('login', ['alice']), ('user_id', ['u-2']), ('domain', ['master.domain']), ('session_type', ['http'])):
        matched = survives(lambda: filter_sessions(data, {key: wanted}))  # pylint: disable=cell-var-from-loop
        if matched is not None:
            assert all(entry.get(key) in wanted for entry in matched)


@settings(max_examples=300, deadline=None)
@given(entries)
@example(ODD)
def test_close_plans_never_crash(data):
    cases = [
        dict(session_ids=['s1', 's3']),
        dict(session_ids=['s2'], protected=['alice']),
        dict(users=['bob', 'u-2'], domain='master.domain'),
        dict(users=['alice'], domain='master.domain', protected=['carol']),
        dict(match={'login': ['bob']}),
        dict(match={'site': ['central'], 'session_type': ['http']}, protected=['alice']),
    ]
    for case in cases:
        the_plan = survives(lambda: plan(data, **case))  # pylint: disable=cell-var-from-loop
        if the_plan is None:
            continue
        closed, spared, remaining = outcome(the_plan.targets, [], False)
        json.dumps(diff_of(the_plan.targets, [], False, closed))
        json.dumps(counts(closed, spared, the_plan.skipped_protected, []))
        assert remaining == []
