# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""pytest harness: real ``ansible-playbook`` runs against a real API emulator process.

The harness is the test-support package (tests/support/incoplax_testing); see README.md in this directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

SUPPORT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'support')
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)

from incoplax_testing.fixtures import (  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import
    ansible_home, closed_port, collections_path, emulator, emulator_args, emulator_class, emulator_log_dir, local_server, resetting_server,
    run_playbook, session_emulator, start_emulator)
