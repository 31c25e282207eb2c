# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    # Attributes shared by every module of incoplax.platform.
    DOCUMENTATION = r'''
attributes:
  action_group:
    description: Use C(group/incoplax.platform.ws) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - incoplax.platform.ws
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: all
'''

    INFO_MODULE = r'''
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
    support: N/A
    details:
      - This action does not modify state.
'''
