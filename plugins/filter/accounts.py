# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The account_list filter: a role's list of account names, from a list or from a survey string.

Documentation: account_list.yml next to this file. Code: plugin_utils/_names.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.incoplax.platform.plugins.plugin_utils._names import NameListError, split_names


def account_list(value, variable='value', allow_empty=False):
    """Trimmed names; survey strings split on commas, semicolons and new lines; bad elements refused."""
    try:
        return split_names(value, variable, allow_empty=allow_empty)
    except NameListError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:
    def filters(self):
        return {'account_list': account_list}
