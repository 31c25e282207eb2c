# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one environment cleaner of the test trees."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from incoplax_testing.paths import BIN

# What a test never inherits from the shell that runs it, by default: the collection's own settings.
OWN = ('INCOPLAX_',)
# ... and for tests that play a user or AWX: every Ansible setting too.
OWN_AND_ANSIBLE = ('INCOPLAX_', 'ANSIBLE_')


def clean_environ(extra=None, drop=OWN, venv_first=False):
    """``os.environ`` without variables whose names start with one of ``drop``, plus ``extra`` (None removes a key).

    Loopback is never proxied (the emulator and the test servers always listen on 127.0.0.1);
    ``venv_first``: the venv's programs come first on PATH.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith(tuple(drop))}
    for key in ('NO_PROXY', 'no_proxy'):
        env[key] = ','.join(item for item in (env.get(key), '127.0.0.1', 'localhost') if item)
    if venv_first:
        env['PATH'] = BIN + os.pathsep + env.get('PATH', '')
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env
