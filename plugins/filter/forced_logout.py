# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters behind the forced_logout role: its settings check, totals over clusters, the plan hash, and the ledger check.

Documentation: the .yml files next to this one. The code lives in plugin_utils/_forced_logout.py and
plugin_utils/_evidence.py, shared with the forced_logout_record action.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.incoplax.platform.plugins.plugin_utils import _evidence, _forced_logout


# ASCII digits only: str.isdigit() also accepts characters such as '²' that int() refuses.
WHOLE_NUMBER = re.compile(r'^\s*-?[0-9]+\s*$')
# (variable, lowest value, what it is) of the role's whole-number settings.
NUMBERS = (
    ('forced_logout_sweeps', 1, 'the number of passes'),
    ('forced_logout_concurrency', 1, 'the number of requests in flight'),
    ('forced_logout_sweep_interval', 0, 'seconds between passes'),
    ('forced_logout_wait_timeout', 0, 'seconds to wait for the sessions to close'),
    ('forced_logout_plan_margin', 0, 'sessions an apply may find beyond the approved plan'),
)


def _whole_number(value):
    """``value`` as an int when it is one (also as text, as a survey gives it), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and WHOLE_NUMBER.match(value):
        return int(value)
    return None


def forced_logout_problems(settings):
    """What is wrong with the forced_logout role's settings (a dict of its variables), one text per variable."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError('forced_logout_problems: expected a dict of the role variables, got %s' % type(settings).__name__)
    problems = []
    domain = settings.get('forced_logout_domain')
    if not isinstance(domain, str) or not domain.strip():
        problems.append('forced_logout_domain: must be a non-empty domain name, got %r' % (domain,))
    for name, lowest, what in NUMBERS:
        if _whole_number(settings.get(name)) is None or _whole_number(settings.get(name)) < lowest:
            problems.append('%s: must be a whole number of %d or more (%s), got %r' % (name, lowest, what, settings.get(name)))
    limit = settings.get('forced_logout_max_sessions')
    if limit not in (None, '') and (_whole_number(limit) is None or _whole_number(limit) < 0):
        problems.append('forced_logout_max_sessions: must be unset or null (no limit), or 0 or more (0 refuses any '
                        'session), got %r' % (limit,))
    if settings.get('forced_logout_mode') == 'apply':
        if not settings.get('forced_logout_plan_hash'):
            problems.append('forced_logout_plan_hash: forced_logout_mode apply needs the approved hash of the plan')
        if not settings.get('forced_logout_plan_given'):
            problems.append('forced_logout_plan: forced_logout_mode apply needs the approved plan (forced_logout_plan, '
                            'or forced_logout_plan_file)')
    return problems


def forced_logout_totals(results):
    """Counts over one or several clusters, from {cluster: forced_logout_result or None}."""
    try:
        return _forced_logout.totals(results)
    except _forced_logout.OutcomeError as exc:
        raise AnsibleFilterError('forced_logout_totals: %s' % exc)


def forced_logout_plan_hash(plan):
    """SHA-256 of the plan's canonical JSON: what an approver signs off, and what apply checks."""
    try:
        return _forced_logout.plan_hash(plan)
    except _forced_logout.OutcomeError as exc:
        raise AnsibleFilterError('forced_logout_plan_hash: %s' % exc)


def forced_logout_ledger_verify(text, evidence_dir=None, last_sha256=None):
    """Check a ledger's hash chain (and the evidence files it lists, with ``evidence_dir``)."""
    try:
        return _evidence.verify(text, evidence_dir=evidence_dir, last_sha256=last_sha256 or None)
    except ValueError as exc:
        raise AnsibleFilterError('forced_logout_ledger_verify: %s' % exc)


class FilterModule:
    def filters(self):
        return {
            'forced_logout_problems': forced_logout_problems,
            'forced_logout_totals': forced_logout_totals,
            'forced_logout_plan_hash': forced_logout_plan_hash,
            'forced_logout_ledger_verify': forced_logout_ledger_verify,
        }
