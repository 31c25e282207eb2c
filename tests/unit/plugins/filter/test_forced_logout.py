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
        'forced_logout_ledger_verify', 'forced_logout_plan_hash', 'forced_logout_problems', 'forced_logout_totals']
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


GOOD_SETTINGS = {
    'forced_logout_domain': 'master.domain', 'forced_logout_sweeps': 1, 'forced_logout_concurrency': '16',
    'forced_logout_sweep_interval': 0, 'forced_logout_wait_timeout': 30.0, 'forced_logout_plan_margin': 0,
    'forced_logout_max_sessions': None, 'forced_logout_mode': 'run', 'forced_logout_plan_hash': '',
    'forced_logout_plan_given': False,
}


def test_usable_settings_have_no_problem():
    problems = forced_logout.forced_logout_problems
    assert problems(GOOD_SETTINGS) == []
    assert problems(dict(GOOD_SETTINGS, forced_logout_max_sessions='')) == []
    assert problems(dict(GOOD_SETTINGS, forced_logout_max_sessions=0)) == []
    assert problems(dict(GOOD_SETTINGS, forced_logout_mode='apply', forced_logout_plan_hash='ab', forced_logout_plan_given=True)) == []


@pytest.mark.parametrize('change, variable', [
    ({'forced_logout_domain': ' '}, 'forced_logout_domain'),
    ({'forced_logout_domain': ['d']}, 'forced_logout_domain'),
    ({'forced_logout_sweeps': 0}, 'forced_logout_sweeps'),
    ({'forced_logout_concurrency': 'many'}, 'forced_logout_concurrency'),
    ({'forced_logout_concurrency': '--5'}, 'forced_logout_concurrency'),
    ({'forced_logout_concurrency': '\u00b2'}, 'forced_logout_concurrency'),
    ({'forced_logout_concurrency': '1 2'}, 'forced_logout_concurrency'),
    ({'forced_logout_sweep_interval': -1}, 'forced_logout_sweep_interval'),
    ({'forced_logout_wait_timeout': True}, 'forced_logout_wait_timeout'),
    ({'forced_logout_plan_margin': 1.5}, 'forced_logout_plan_margin'),
    ({'forced_logout_max_sessions': -1}, 'forced_logout_max_sessions'),
    ({'forced_logout_mode': 'apply', 'forced_logout_plan_given': True}, 'forced_logout_plan_hash'),
    ({'forced_logout_mode': 'apply', 'forced_logout_plan_hash': 'ab'}, 'forced_logout_plan'),
])
def test_each_wrong_setting_is_named_once(change, variable):
    problems = forced_logout.forced_logout_problems(dict(GOOD_SETTINGS, **change))
    assert len(problems) == 1 and problems[0].startswith(variable + ': '), problems


def test_every_wrong_setting_is_reported_at_once_and_a_non_dict_is_refused():
    settings = dict(GOOD_SETTINGS, forced_logout_domain='', forced_logout_sweeps=0, forced_logout_mode='apply')
    assert [text.split(':')[0] for text in forced_logout.forced_logout_problems(settings)] == [
        'forced_logout_domain', 'forced_logout_sweeps', 'forced_logout_plan_hash', 'forced_logout_plan']
    with pytest.raises(AnsibleFilterError, match='forced_logout_problems'):
        forced_logout.forced_logout_problems(['forced_logout_domain'])
