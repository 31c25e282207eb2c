# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from hypothesis import given, strategies as st

from ansible_collections.incoplax.platform.plugins.plugin_utils._names import NameListError, split_names


@pytest.mark.parametrize('value, names', [
    (['alice', 'bob'], ['alice', 'bob']),
    ([' alice ', '\tbob\n'], ['alice', 'bob']),
    ('svc-ansible, admin', ['svc-ansible', 'admin']),
    ('a;b\nc\r\nd,', ['a', 'b', 'c', 'd']),
    ('a,,b', ['a', 'b']),
    ('  jdoe  ', ['jdoe']),
    (('x',), ['x']),
])
def test_split_and_trim(value, names):
    assert split_names(value, 'v') == names


@pytest.mark.parametrize('value, message', [
    ([['alice', 'mallory']], 'v: element 1 is a list (alice, mallory), not a name'),
    (['a', None], 'v: element 2 is null'),
    ([5], 'v: element 1 is a number (5)'),
    ([True], 'v: element 1 is a boolean (true)'),
    ([{'a': 1}], 'v: element 1 is a dict'),
    (['a', ' '], 'v: element 2 is empty'),
    ([], 'v: give at least one login or user id'),
    ('', 'v: give at least one login or user id'),
    (' ,;\n', 'v: give at least one login or user id'),
    (None, 'v: give at least one login or user id, not null'),
    ({'a': 1}, 'v: expected a list of logins or user ids'),
    (5, 'v: expected a list'),
])
def test_refused(value, message):
    with pytest.raises(NameListError) as caught:
        split_names(value, 'v')
    assert message in str(caught.value)


def test_nested_list_message_tells_the_fix():
    with pytest.raises(NameListError, match=r'write v: "\{\{ other_list \}\}", not \["\{\{ other_list \}\}"\]'):
        split_names([['a']], 'v')


@pytest.mark.parametrize('value', [None, [], '', ' , '])
def test_allow_empty(value):
    assert split_names(value, 'v', allow_empty=True) == []


NAME = st.text(alphabet=st.characters(blacklist_characters=',;\r\n', blacklist_categories=('Cs',)), min_size=1).filter(
    lambda s: s.strip())


@given(st.lists(NAME, min_size=1, max_size=8), st.sampled_from([', ', ',', ';', '\n', ' ;\r\n ']))
def test_a_survey_string_gives_the_same_names_as_the_list(names, separator):
    as_list = split_names(names, 'v')
    assert as_list == [name.strip() for name in names]
    assert all(name == name.strip() and name for name in as_list)
    assert split_names(separator.join(names), 'v') == as_list


@given(st.lists(st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.lists(NAME), st.dictionaries(NAME, NAME)),
                min_size=1), st.lists(NAME))
def test_any_non_string_element_is_refused(bad, good):
    with pytest.raises(NameListError, match='element'):
        split_names(good + bad, 'v')
