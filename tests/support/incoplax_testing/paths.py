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

# In a tree laid out as .../ansible_collections/incoplax/platform (how the suite runs), tests can import the
# collection's own Python as ansible_collections.incoplax.platform without PYTHONPATH.
COLLECTIONS_ROOT = None
_PARENT = os.path.dirname(ROOT)
if os.path.basename(ROOT) == 'platform' and os.path.basename(_PARENT) == 'incoplax' \
        and os.path.basename(os.path.dirname(_PARENT)) == 'ansible_collections':
    COLLECTIONS_ROOT = os.path.dirname(os.path.dirname(_PARENT))
    if COLLECTIONS_ROOT not in sys.path:
        sys.path.append(COLLECTIONS_ROOT)


def program(name):
    """The path of name in the venv that runs the tests (ansible-playbook, ansible-runner, ...)."""
    return os.path.join(BIN, name)
