# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The session_audit filters; documentation in session_findings.yml, sessions_to_csv.yml and unused_report_name.yml
next to this file.

The code is in plugin_utils/_audit.py (which the ws_sessions event source shares) and plugin_utils/_evidence.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Sequence

from ansible.errors import AnsibleFilterError

from ansible_collections.incoplax.platform.plugins.plugin_utils._audit import session_findings, sessions_to_csv
from ansible_collections.incoplax.platform.plugins.plugin_utils._evidence import unused_base


def unused_report_name(existing, name, extensions=('json', 'csv', 'md')):
    """See unused_report_name.yml."""
    for value, what in ((existing, 'the input (file names)'), (extensions, 'extensions')):
        if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(item, str) for item in value):
            raise AnsibleFilterError('unused_report_name: %s must be a list of strings, got %r' % (what, value))
    if not isinstance(name, str) or not name or '/' in name:
        raise AnsibleFilterError('unused_report_name: name must be a non-empty file name without "/", got %r' % (name,))
    try:
        return unused_base(existing, name, extensions)
    except ValueError as exc:
        raise AnsibleFilterError('unused_report_name: %s' % exc)


class FilterModule:
    """Session audit filters of incoplax.platform."""

    def filters(self):
        return {
            'session_findings': session_findings,
            'sessions_to_csv': sessions_to_csv,
            'unused_report_name': unused_report_name,
        }
