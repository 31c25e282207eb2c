# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""pytest fixtures of the tests/awx tests: AWX-like jobs (awx_support.py) and the standard fixtures of
tests/support/incoplax_testing, with the shared emulator loaded with ``base_fixture()``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from awx_support import AwxJobs, base_fixture
from incoplax_testing.fixtures import (  # noqa: F401 pylint: disable=unused-import
    ansible_home, collections_path, emulator, emulator_class, emulator_log_dir, session_emulator, start_emulator)


@pytest.fixture
def awx_jobs(tmp_path, collections_path, ansible_home):  # pylint: disable=redefined-outer-name
    return AwxJobs(str(tmp_path), collections_path, ansible_home)


@pytest.fixture(scope='session')
def fixture_file(tmp_path_factory):
    path = tmp_path_factory.mktemp('fixture') / 'sessions.json'
    path.write_text(json.dumps(base_fixture()))
    return str(path)


@pytest.fixture(scope='session')
def emulator_args(fixture_file):  # pylint: disable=redefined-outer-name
    """The shared emulator is loaded with ``base_fixture()`` (``emulator`` resets it to that before each test)."""
    return ['--fixture', fixture_file]
