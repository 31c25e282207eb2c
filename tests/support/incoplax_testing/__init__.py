# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one test-support package of every test tree (see README.md in tests/support).

Each tree's conftest.py puts tests/support on sys.path and imports what it needs from here:
paths (where things are), environ (clean_environ), emulator (Emulator, built on the
emulator's own EmulatorProcess), playbook (collections_path, run_playbook, PlaybookResult),
server (LocalServer, ScriptedServer), cast (session entries and ids) and fixtures
(the standard pytest fixtures built on them).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
