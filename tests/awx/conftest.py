# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""pytest fixtures of the tests/awx tests: emulator processes and AWX-like jobs (the helpers are in awx_support.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from awx_support import ROOT, AwxJobs, Emulator, base_fixture


def _collections_path(tmp_path_factory):
    parent = os.path.dirname(ROOT)
    if os.path.basename(ROOT) == 'platform' and os.path.basename(parent) == 'incoplax' \
            and os.path.basename(os.path.dirname(parent)) == 'ansible_collections':
        return os.path.dirname(os.path.dirname(parent))
    base = str(tmp_path_factory.mktemp('collections'))
    namespace = os.path.join(base, 'ansible_collections', 'incoplax')
    os.makedirs(namespace)
    os.symlink(ROOT, os.path.join(namespace, 'platform'))
    return base


@pytest.fixture(scope='session')
def collections_path(tmp_path_factory):
    """ANSIBLE_COLLECTIONS_PATH under which ``incoplax.platform`` is this source tree."""
    return _collections_path(tmp_path_factory)


@pytest.fixture(scope='session')
def ansible_home(tmp_path_factory):
    return str(tmp_path_factory.mktemp('ansible_home'))


@pytest.fixture
def awx_jobs(tmp_path, collections_path, ansible_home):
    return AwxJobs(str(tmp_path), collections_path, ansible_home)


@pytest.fixture(scope='session')
def emulator_log_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp('emulator_logs'))


@pytest.fixture(scope='session')
def fixture_file(tmp_path_factory):
    path = tmp_path_factory.mktemp('fixture') / 'sessions.json'
    path.write_text(json.dumps(base_fixture()))
    return str(path)


@pytest.fixture(scope='session')
def session_emulator(emulator_log_dir, fixture_file):
    """One emulator per pytest (xdist worker) process, loaded with ``base_fixture()``."""
    instance = Emulator(['--fixture', fixture_file], log_dir=emulator_log_dir)
    yield instance
    instance.stop()


@pytest.fixture
def emulator(session_emulator):
    """The shared emulator, back to ``base_fixture()`` with zero counters and no faults."""
    session_emulator.reset()
    return session_emulator


@pytest.fixture
def start_emulator(emulator_log_dir):
    """Factory: ``start_emulator(*args)`` starts a dedicated emulator, stopped at teardown."""
    started = []

    def start(*args):
        instance = Emulator(args, log_dir=emulator_log_dir)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()
