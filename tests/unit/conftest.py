# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit test fixtures: a scripted HTTP server on loopback and a module runner.

The scripted server (``server``, a ``ScriptedServer`` of tests/support/incoplax_testing: a ``LocalServer`` whose
answer is a queue the test fills) records what it received, so the client's real HTTP behaviour (encoding,
retries, headers) is tested without the emulator.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

# ansible-test runs the unit tests inside the collection tree: tests/support is next to this tree.
SUPPORT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'support')
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)

from incoplax_testing.modules import module_args  # noqa: E402 pylint: disable=wrong-import-position
from incoplax_testing.fixtures import closed_port, resetting_server, server  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import


@pytest.fixture
def run_module(capsys):
    """Run a module's main() with args; return (exit_code, result dict)."""

    def run(main, args):
        with module_args(args):
            with pytest.raises(SystemExit) as exit_info:
                main()
        out = capsys.readouterr().out
        return exit_info.value.code, json.loads(out)

    return run
