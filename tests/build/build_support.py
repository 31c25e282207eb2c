# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Helpers of the tests/build tests: the collection's metadata, a clean copy of the tree, commands run with a
clean environment, and the emulator of an installed copy."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import importlib.util
import os
import shutil
import subprocess
import sys

import yaml

SUPPORT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'support')
if SUPPORT not in sys.path:
    sys.path.insert(0, SUPPORT)

from incoplax_testing.environ import OWN_AND_ANSIBLE, clean_environ  # noqa: E402 pylint: disable=wrong-import-position
from incoplax_testing.paths import BIN, ROOT  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import

TIMEOUT = 300

with open(os.path.join(ROOT, 'galaxy.yml')) as _handle:
    GALAXY = yaml.safe_load(_handle)
NAMESPACE, NAME, VERSION = GALAXY['namespace'], GALAXY['name'], GALAXY['version']
FQCN = '%s.%s' % (NAMESPACE, NAME)
TARBALL = '%s-%s-%s.tar.gz' % (NAMESPACE, NAME, VERSION)

# Top-level entries of the source tree never copied (big, version control, or outputs of earlier runs).
NOT_COPIED = ('.git', '.venv*', '.ansible', 'build', 'demo-evidence', '.pytest_cache', '.hypothesis')


def run(command, env, cwd, timeout=TIMEOUT, shell=False):
    """Run a command (a list, or a bash script with shell=True); fail with its output unless it exits 0."""
    if shell:
        command = ['bash', '-euo', 'pipefail', '-c', command]
    result = subprocess.run(command, env=env, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=timeout, check=False)
    assert result.returncode == 0, '%s failed (rc %s):\n%s' % (' '.join(command), result.returncode, result.stdout[-6000:])
    return result.stdout


def ansible_env(tmp_path, collections_path, extra=None):
    """A clean environment: empty ANSIBLE_HOME, only the given collections path, no INCOPLAX_* leaking in."""
    env = user_env(tmp_path / 'home')
    home = tmp_path / 'ansible-home'
    home.mkdir(exist_ok=True)
    env.update({'ANSIBLE_HOME': str(home), 'ANSIBLE_COLLECTIONS_PATH': str(collections_path),
                'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'False'})
    env.update(extra or {})
    return env


def user_env(home, extra=None):
    """The environment of a new user: an empty HOME, no ANSIBLE_* or INCOPLAX_* settings, the venv's tools on PATH
    (as after ``pip install ansible-core requests``), loopback never proxied."""
    os.makedirs(str(home), exist_ok=True)
    env = clean_environ({
        'HOME': str(home), 'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_LOCALHOST_WARNING': 'False',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'False',
    }, drop=OWN_AND_ANSIBLE + ('PYTHONPATH', 'VIRTUAL_ENV'), venv_first=True)
    env.update(extra or {})
    return env


def skip_in_copy(folder, names):
    skipped = set(name for name in names if name == '__pycache__' or name.endswith('.pyc'))
    if os.path.abspath(folder) == ROOT:
        skipped.update(name for pattern in NOT_COPIED for name in fnmatch.filter(names, pattern))
    elif os.path.abspath(folder) == os.path.join(ROOT, 'tests'):
        skipped.update(name for name in names if name == 'output')
    return skipped


def copy_tree(dest):
    """A copy of the source tree at ``dest`` (what a clone holds, without version control and outputs)."""
    shutil.copytree(ROOT, str(dest), symlinks=True, ignore=skip_in_copy)
    return dest


def emulator_process(collection_path):
    """The EmulatorProcess class of the emulator inside ``collection_path`` (it runs that copy of the emulator)."""
    path = os.path.join(str(collection_path), 'extensions', 'emulator', 'incoplax_emulator', 'process.py')
    spec = importlib.util.spec_from_file_location('incoplax_emulator_process_%d' % abs(hash(path)), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.PACKAGE_PARENT == os.path.dirname(os.path.dirname(path))
    return module.EmulatorProcess
