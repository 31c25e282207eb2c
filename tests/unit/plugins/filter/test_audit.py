# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The session_audit filter plugin: plugin_utils/_audit.py (tested in test__audit.py) under its names, and unused_report_name."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.incoplax.platform.plugins.filter.audit import FilterModule
from ansible_collections.incoplax.platform.plugins.plugin_utils import _audit


def test_filters_are_registered_under_their_documented_names():
    filters = FilterModule().filters()
    assert {name: filters[name] for name in ('session_findings', 'sessions_to_csv')} == {
        'session_findings': _audit.session_findings, 'sessions_to_csv': _audit.sessions_to_csv}
    assert sorted(filters) == ['session_findings', 'sessions_to_csv', 'unused_report_name']


def test_unused_report_name_keeps_earlier_reports_and_refuses_bad_input():
    unused_report_name = FilterModule().filters()['unused_report_name']
    assert unused_report_name(['before.json', 'before.csv', 'before.md'], 'before') == 'before-2'
    assert unused_report_name(['before.json'], 'before', ['csv']) == 'before'
    for args, word in ((('before.json', 'before'), 'input'), ((['a'], ''), 'name'), ((['a'], '../x'), 'name'),
                       ((['a'], 'x', 'json'), 'extensions'), (([1], 'x'), 'input')):
        with pytest.raises(AnsibleFilterError, match=word):
            unused_report_name(*args)
