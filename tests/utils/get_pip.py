# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip.py script that ansible-test downloads to bootstrap pip in its venvs.

The test runner copies it to ~/.ansible/test/cache/get_pip_<version>.py because the download host is
not reachable from CI. It installs the pip wheel bundled with the running Python's ensurepip.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import ensurepip
import glob
import os
import sys


def main():
    bundled = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled', 'pip-*.whl')))
    sys.path.insert(0, bundled[-1])
    parser = argparse.ArgumentParser()
    parser.add_argument('--no-setuptools', action='store_true')
    parser.add_argument('--no-wheel', action='store_true')
    options, rest = parser.parse_known_args()
    if not any(arg.startswith('pip') for arg in rest):
        rest.append('pip')
    if not options.no_setuptools:
        rest.append('setuptools')
    if not options.no_wheel:
        rest.append('wheel')
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel
    return pip_main(['install', '--upgrade', '--force-reinstall'] + rest)


if __name__ == '__main__':
    sys.exit(main())
