# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The retry budget of _retry.py on its own; how the client spends it is tested in test__api.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.incoplax.platform.plugins.module_utils._retry import RetryBudget


def test_a_spent_budget_refuses_every_wait_until_it_is_renewed():
    budget = RetryBudget(5)
    assert budget.take(3) and not budget.take(3)
    # Once a wait was refused, even one that would fit is refused: later requests get one attempt each.
    assert not budget.take(1) and budget.exhausted
    budget.renew()
    assert not budget.exhausted and budget.spent == 0
    assert budget.take(5) and not budget.take(0.5)
