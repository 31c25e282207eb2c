# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The session_audit filters; documentation in session_findings.yml and sessions_to_csv.yml next to this file.

The code is in plugin_utils/_audit.py, which the ws_sessions event source shares.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.incoplax.platform.plugins.plugin_utils._audit import session_findings, sessions_to_csv


class FilterModule:
    """Session audit filters of incoplax.platform."""

    def filters(self):
        return {
            'session_findings': session_findings,
            'sessions_to_csv': sessions_to_csv,
        }
