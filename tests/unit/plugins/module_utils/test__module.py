# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.parameters import remove_values

from ansible_collections.incoplax.platform.plugins.module_utils._module import may_hold_secret, scrub_when_needed

RESULT = {'closed': [{'session_id': 's1', 'login': 'alice', 'ttl': 40141, 'ok': True, 'none': None}],
          'counts': {'total': 1, 'by_site': {'central': 1}}, 'msg': 'closed 1 session(s)'}


@pytest.mark.parametrize('secrets', [set(), {'tok-123'}, {'tok-123', 'pw"with\\quote'}, {'ünïcode-secret'}])
def test_no_secret_in_the_result(secrets):
    assert may_hold_secret(RESULT, secrets) is False


@pytest.mark.parametrize('value, secret', [
    ({'a': ['x', {'b': 'prefix-tok-123-suffix'}]}, 'tok-123'),           # inside a nested string
    ({'tok-123': 1}, 'tok-123'),                                          # a key
    ({'ttl': 40141}, '4014'),                                             # a number, as remove_values compares it
    ({'a': 'say "hi" \\ bye'}, '"hi" \\'),                                # characters JSON escapes
    ({'a': 'line1\nline2\ttab'}, '1\nline2\t'),
    ({'a': 'ünïcode-secret!'}, 'ünïcode-secret'),
    ({'a': 'x'}, ''),                                                     # an empty secret: let remove_values decide
    ({'a': float('nan')}, 'zzz'),                                         # not JSON: let remove_values decide
    ({'a': object()}, 'zzz'),
])
def test_a_possible_secret_is_found(value, secret):
    assert may_hold_secret(value, {secret}) is True


def test_scrubbing_still_happens_when_a_secret_is_present():
    result = {'msg': 'token tok-123 leaked', 'list': ['tok-123'], 'n': 1}
    with scrub_when_needed():
        scrubbed = basic.remove_values(result, {'tok-123'})
    assert scrubbed == remove_values(result, {'tok-123'})
    assert scrubbed['list'] == ['VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'] and 'tok-123' not in scrubbed['msg']


def test_no_walk_when_nothing_to_remove_and_the_original_is_restored():
    original = basic.remove_values
    with scrub_when_needed():
        assert basic.remove_values(RESULT, {'tok-123'}) is RESULT
        assert basic.remove_values(RESULT, {'tok-123'}) == remove_values(RESULT, {'tok-123'})
    assert basic.remove_values is original
    with pytest.raises(SystemExit):
        with scrub_when_needed():
            raise SystemExit(0)
    assert basic.remove_values is original
