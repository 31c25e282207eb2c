# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the emulator tests: the shared ones of tests/support/incoplax_testing, started with the
request helpers of emulator_testlib.py (``emulator_class``) and the seeded data set of these tests."""

import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
# The test helpers and the test-support package (which puts the emulator package on sys.path).
for _path in (HERE, HERE.parent / 'support'):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from emulator_testlib import SAMPLE, Emulator  # noqa: E402 pylint: disable=wrong-import-position
from incoplax_testing.fixtures import (  # noqa: E402,F401 pylint: disable=wrong-import-position,import-error,unused-import
    emulator, emulator_log_dir, session_emulator, start_emulator,
)


@pytest.fixture(scope='session')
def emulator_class():
    """The shared fixtures start the emulator with this tree's request helpers."""
    return Emulator


@pytest.fixture(scope='session')
def emulator_args():
    """The shared emulator of these tests: the seeded data set; tests reset or load it before use."""
    return ('--seed', '3')


@pytest.fixture
def sample(emulator):  # pylint: disable=redefined-outer-name
    """The shared emulator, reset and loaded with ``SAMPLE`` (caller's own session: own-0001)."""
    emulator.load(SAMPLE)
    return emulator
