# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The EDA tests use the test-support package (tests/support/incoplax_testing) for their session entries."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

SUPPORT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'support')
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)
