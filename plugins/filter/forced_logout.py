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

from ansible.errors import AnsibleFilterError

from ansible_collections.incoplax.platform.plugins.plugin_utils import _evidence, _forced_logout


def forced_logout_problems(settings):
    """What is wrong with the forced_logout role's settings (a dict of its variables), one text per variable."""
    try:
        return _forced_logout.settings_problems(settings)
    except _forced_logout.OutcomeError as exc:
        raise AnsibleFilterError('forced_logout_problems: %s' % exc)


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
