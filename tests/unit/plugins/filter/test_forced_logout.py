# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The filters are thin wrappers of plugin_utils (tested there): these tests check the wiring and the errors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.incoplax.platform.plugins.filter import accounts, forced_logout
from ansible_collections.incoplax.platform.plugins.plugin_utils import _evidence


def test_the_role_filters_are_registered_and_the_unused_ones_are_gone():
    assert sorted(forced_logout.FilterModule().filters()) == [
        'forced_logout_ledger_verify', 'forced_logout_plan_hash', 'forced_logout_totals']
    assert sorted(accounts.FilterModule().filters()) == ['account_list']


def test_account_list_errors_are_filter_errors():
    assert accounts.account_list(' a, b ', 'forced_logout_users') == ['a', 'b']
    assert accounts.account_list(None, 'forced_logout_protected_users', True) == []
    with pytest.raises(AnsibleFilterError, match='forced_logout_users: element 1 is a list'):
        accounts.account_list([['a', 'b']], 'forced_logout_users')


def test_totals_and_plan_hash_errors_are_filter_errors():
    with pytest.raises(AnsibleFilterError, match='forced_logout_totals: expected a dict'):
        forced_logout.forced_logout_totals(['x'])
    with pytest.raises(AnsibleFilterError, match='forced_logout_plan_hash: expected a forced_logout plan'):
        forced_logout.forced_logout_plan_hash({})
    assert forced_logout.forced_logout_totals({'a': None})['ok'] is False


def test_ledger_verify(tmp_path):
    path = str(tmp_path / 'L.ledger.jsonl')
    _record, digest = _evidence.append_record(path, {'files': {}})
    text = open(path).read()
    assert forced_logout.forced_logout_ledger_verify(text, str(tmp_path), digest)['ok'] is True
    assert forced_logout.forced_logout_ledger_verify(text, None, '')['ok'] is True
    assert forced_logout.forced_logout_ledger_verify(text, None, '0' * 64)['ok'] is False
    with pytest.raises(AnsibleFilterError, match='forced_logout_ledger_verify'):
        forced_logout.forced_logout_ledger_verify(42)
