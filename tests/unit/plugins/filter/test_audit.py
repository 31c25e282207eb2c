# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The session_audit filter plugin exposes plugin_utils/_audit.py (tested in test__audit.py) under its names."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.incoplax.platform.plugins.filter.audit import FilterModule
from ansible_collections.incoplax.platform.plugins.plugin_utils import _audit


def test_filters_are_registered_under_their_documented_names():
    assert FilterModule().filters() == {'session_findings': _audit.session_findings,
                                        'sessions_to_csv': _audit.sessions_to_csv}
