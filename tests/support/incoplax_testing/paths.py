# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where things are: the collection root, the emulator package, the venv's programs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

SUPPORT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(SUPPORT))
EMULATOR_PATH = os.path.join(ROOT, 'extensions', 'emulator')
INTEGRATION_DIR = os.path.join(ROOT, 'tests', 'integration')
CALLBACK_DIR = os.path.join(INTEGRATION_DIR, 'callback_plugins')
BIN = os.path.dirname(sys.executable)

if EMULATOR_PATH not in sys.path:
    sys.path.insert(0, EMULATOR_PATH)


def program(name):
    """The path of name in the venv that runs the tests (ansible-playbook, ansible-runner, ...)."""
    return os.path.join(BIN, name)
