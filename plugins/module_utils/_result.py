# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one way a module of the collection exits: a result in which no form of a no_log value can be.

Why this file exists. ``AnsibleModule.exit_json``/``fail_json`` pass the whole result through ``remove_values``,
which copies it element by element to replace no_log values (the token, a password), even when none occurs:
seconds for a result of tens of thousands of session entries. Before ansible-core 2.21 the result also holds
``invocation.module_args`` with the no_log values in the clear (AnsibleModule adds it before ``remove_values``),
so a secret is always present there and no check could ever skip the walk.

So ``exit`` (1) passes ``invocation`` itself, its module_args already scrubbed by ``remove_values`` (a few dozen
values; AnsibleModule keeps a given invocation, and 2.21 drops it unless asked for it, as it does its own), and
(2) while ``exit_json`` runs, lets ``basic.remove_values`` skip its walk only when ``may_hold_secret`` proves that
no no_log value can occur anywhere in the final result (warnings included); otherwise the original
``remove_values`` runs unchanged. The rebinding is the only hook AnsibleModule offers before its printing: it has no
parameter to skip the walk, and printing the result ourselves would bypass what exit_json does on each core.

Private module_utils file: its interface may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json

from ansible.module_utils import basic
from ansible.module_utils.common.text import converters
from ansible.module_utils.common.text.converters import to_native


def may_hold_secret(value, no_log_values):
    """False only when no no_log value can occur in any string, key or number of ``value``.

    JSON encodes a string character by character (escapes and \\u sequences included), so a value containing a
    secret has an encoding containing the secret's encoding: one C-speed encoding of the result and one search
    per secret replace the element-by-element walk of ``remove_values``. Anything unusual (a type JSON does not
    take, NaN, an empty secret) answers True, and ``remove_values`` then runs as usual.
    """
    secrets = [to_native(secret, errors='surrogate_or_strict') for secret in no_log_values]
    if not secrets:
        return False
    if any(not secret for secret in secrets):
        return True
    try:
        encoded = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return True
    return any(json.dumps(secret)[1:-1] in encoded for secret in secrets)


@contextlib.contextmanager
def scrub_when_needed():
    """Make AnsibleModule's result scrubbing skip its walk when no no_log value can be in the result.

    When a secret may be present, the original ``remove_values`` runs unchanged.
    """
    original = basic.remove_values

    def remove_values(value, no_log_strings):
        if may_hold_secret(value, no_log_strings):
            return original(value, no_log_strings)
        return value

    basic.remove_values = remove_values
    try:
        yield
    finally:
        basic.remove_values = original


def quick_jsonify(module):
    """Let ``module.jsonify`` skip the copy before 2.19 when it changes nothing.

    Before ansible-core 2.19, AnsibleModule prints its result through ``jsonify``, which first copies every dict,
    list and tuple of it (``container_to_text``) to turn bytes into text: seconds for tens of thousands of
    entries. Without bytes, that copy changes nothing, and ``json.dumps`` with the same fallback gives the same
    text; bytes anywhere make ``json.dumps`` raise TypeError, and the original ``jsonify`` then runs unchanged.
    2.19 and later print without ``jsonify``: setting it there changes nothing.
    """
    fallback = getattr(converters, '_json_encode_fallback', None)
    original = module.jsonify
    if fallback is None:
        return

    def jsonify(data):
        try:
            return json.dumps(data, default=fallback)
        except TypeError:
            return original(data)

    module.jsonify = jsonify


def invocation(module):
    """``invocation`` as AnsibleModule would add it, its module_args already scrubbed of every no_log value."""
    return {'module_args': basic.remove_values(module.params, module.no_log_values)}


def exit(module, result, failed=False):  # pylint: disable=redefined-builtin
    """Exit ``module`` (an AnsibleModule) with ``result``, as a failure when ``failed``; never returns."""
    result = dict(result)
    if 'invocation' not in result:
        result['invocation'] = invocation(module)
    quick_jsonify(module)
    with scrub_when_needed():
        if failed:
            module.fail_json(**result)
        module.exit_json(**result)
