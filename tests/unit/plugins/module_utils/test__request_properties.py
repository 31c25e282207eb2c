# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Property-based tests of _request.py: names are trimmed, deduplicated and type-checked, compared after NFC and
case folding, and every name of a protected account is protected. The oracle is in incoplax_testing.oracle.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import unicodedata

from hypothesis import example, given
from hypothesis import strategies as st

from ansible_collections.incoplax.platform.plugins.module_utils import _request
from ansible_collections.incoplax.platform.plugins.module_utils._errors import ParameterError
from incoplax_testing.oracle import (  # pylint: disable=import-error
    FAST, NFC_JOSE, is_protected, key, listings, protected_keys, typed_names,
)


# ---------------------------------------------------------------------------------------------------- names

odd_values = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.text(max_size=3), max_size=2),
                       st.dictionaries(st.text(max_size=2), st.text(max_size=2), max_size=1))


@FAST
@given(st.lists(st.one_of(st.text(max_size=8), typed_names, odd_values), min_size=1, max_size=6),
       st.sampled_from(['user', 'protected_users', 'session_id']))
@example([' admin', 'admin', 'admin '], 'protected_users')
@example(['alice', ['bob']], 'user')
@example(['\u00a0'], 'user')
def test_clean_names_trims_dedupes_and_refuses_anything_but_non_blank_strings(values, option):
    bad = [value for value in values if not isinstance(value, str) or not value.strip()]
    try:
        got = _request.clean_names(values, option)
    except ParameterError as exc:
        assert bad, values
        assert str(exc).startswith(option + ': ')
        return
    assert not bad, values
    assert got == list(dict.fromkeys(value.strip() for value in values))
    assert all(name and name == name.strip() for name in got)
    assert _request.clean_names(got, option) == got


@FAST
@given(st.text(max_size=12))
@example(NFC_JOSE)
@example('\u1e9b\u0323')
def test_name_key_ignores_the_normalisation_form(name):
    assert _request.name_key(unicodedata.normalize('NFD', name)) == _request.name_key(unicodedata.normalize('NFC', name))


@FAST
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=12))
def test_name_key_ignores_ascii_case(name):
    assert _request.name_key(name.upper()) == _request.name_key(name) == _request.name_key(name.lower())


@FAST
@given(st.text(alphabet=st.sampled_from(['s', 'S', '\u00df', '\u0301', 'j', '\u01f0', '\u030c', 'a', '\u0345']),
               max_size=6))
@example('\u00df\u0301')
def test_name_key_equal_for_canonically_caseless_equal_names(name):
    upper = unicodedata.normalize('NFC', name).upper()
    assert key(upper) == key(name)
    assert _request.name_key(upper) == _request.name_key(name)


# ---------------------------------------------------------------------------------------------------- protection

@FAST
@given(listings, st.lists(typed_names, min_size=1, max_size=3))
def test_protection_covers_every_name_of_every_protected_account(listing, protected):
    protection = _request.Protection([name.strip() for name in protected], listing)
    keys = protected_keys(listing, [name.strip() for name in protected])
    for entry in listing:
        if is_protected(entry, keys):
            assert protection.covers(entry), (entry, protected)
    assert set(protection.unmatched) == {name.strip() for name in protected
                                         if not any(key(name.strip()) in (key(e['login']), key(e['user_id']))
                                                    for e in listing)}
