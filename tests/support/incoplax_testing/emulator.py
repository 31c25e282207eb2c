# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one emulator driver of the tests: the emulator's own ``EmulatorProcess``, run with a clean environment."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import sys

from incoplax_testing.cast import keys
from incoplax_testing.environ import clean_environ
from incoplax_testing.paths import ROOT

from incoplax_emulator.process import EmulatorError, EmulatorProcess  # noqa: F401 pylint: disable=unused-import

START_TIMEOUT = 30
# INCOPLAX_EMULATOR_PYTHON picks the interpreter that runs the emulator (default: the one running pytest),
# so the same tests check the emulator under each supported Python.
PYTHON_ENV = 'INCOPLAX_EMULATOR_PYTHON'


class Emulator(EmulatorProcess):
    """One ``python -m incoplax_emulator --port 0 ARGS`` process and its control interface (see incoplax_emulator.process).

    Its environment is ``clean_environ()``: no inherited INCOPLAX_* setting, loopback never proxied.
    """

    def __init__(self, args=(), log_dir=None, start_timeout=START_TIMEOUT):
        super().__init__(args, log_dir=log_dir, python=os.environ.get(PYTHON_ENV) or sys.executable,
                         env=clean_environ(), cwd=ROOT, start_timeout=start_timeout)


def holding_exactly(instance, fixture, caller_session_id=None):
    """Load ``fixture`` into the emulator and check it holds exactly that: its entries, no request, no fault
    (and the token's own session when given); returns the emulator."""
    instance.load(copy.deepcopy(fixture))
    state = instance.state()
    assert keys(state['sessions']) == keys(fixture['sessions'])
    if caller_session_id is not None:
        assert state['caller_session_id'] == caller_session_id
    assert state['counters']['total'] == 0 and state['faults'] == {}
    return instance
