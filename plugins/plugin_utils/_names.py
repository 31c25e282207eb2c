# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Account name lists as the roles take them: one home for splitting survey strings and refusing bad elements.

Private plugin_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from collections.abc import Mapping

# An AWX survey has no list type: a list arrives as one string, names separated by commas, semicolons or new lines.
SEPARATORS = re.compile(r'[,;\r\n]')


class NameListError(ValueError):
    """A list of names that must be refused; the text names the variable and the fix."""


def _kind(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'a boolean (%s)' % ('true' if value else 'false')
    if isinstance(value, (int, float)):
        return 'a number (%r)' % (value,)
    if isinstance(value, Mapping):
        return 'a dict'
    if isinstance(value, (list, tuple, set)):
        return 'a list (%s)' % ', '.join(str(item) for item in value)
    return 'a %s' % type(value).__name__


def split_names(value, variable, allow_empty=False):
    """The names in ``value``: a list of strings, or one string split on commas, semicolons and new lines.

    Every name is trimmed. An empty name in a list, an element that is not a string (a nested list such as
    ``["{{ users }}"]``, null, a number, a dict) and, unless ``allow_empty``, an empty result are refused with
    a NameListError naming ``variable`` and the fix. Empty pieces of a survey string (``"a,,b"``, a trailing
    comma or new line) are dropped: a text field has no other way to end a line.
    """
    if value is None:
        if allow_empty:
            return []
        raise NameListError('%s: give at least one login or user id, not null' % variable)
    if isinstance(value, str):
        names = [piece.strip() for piece in SEPARATORS.split(value)]
        names = [name for name in names if name]
    elif isinstance(value, (list, tuple)):
        names = []
        for index, element in enumerate(value):
            if not isinstance(element, str):
                raise NameListError(
                    '%s: element %d is %s, not a name. Give a flat list of logins or user ids, or one string of '
                    'names separated by commas; to pass another list variable, write %s: "{{ other_list }}", '
                    'not ["{{ other_list }}"]' % (variable, index + 1, _kind(element), variable))
            name = element.strip()
            if not name:
                raise NameListError('%s: element %d is empty; remove it or give a login or user id' % (variable, index + 1))
            names.append(name)
    else:
        raise NameListError('%s: expected a list of logins or user ids, or one string of names separated by commas, '
                            'got %s' % (variable, _kind(value)))
    if not names and not allow_empty:
        raise NameListError('%s: give at least one login or user id' % variable)
    return names
