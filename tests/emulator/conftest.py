# Copyright (c) Contributors to the incoplax.platform collection
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the emulator tests (see emulator_testlib.py and tests/support/incoplax_testing)."""

import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
# The test helpers and the test-support package (which puts the emulator package on sys.path).
for _path in (HERE, HERE.parent / 'support'):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from emulator_testlib import SAMPLE, Emulator  # noqa: E402 pylint: disable=wrong-import-position
from incoplax_testing.fixtures import started  # noqa: E402 pylint: disable=wrong-import-position,import-error


@pytest.fixture(scope='session')
def shared_emulator():
    """One seeded emulator for the whole run; tests reset or load it before use."""
    emulator = Emulator('--seed', '3')
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(shared_emulator):  # pylint: disable=redefined-outer-name
    """The shared emulator, reset to its start-up state."""
    shared_emulator.reset()
    return shared_emulator


@pytest.fixture
def sample(shared_emulator):  # pylint: disable=redefined-outer-name
    """The shared emulator, reset and loaded with ``SAMPLE`` (caller's own session: own-0001)."""
    shared_emulator.reset()
    shared_emulator.load(SAMPLE)
    return shared_emulator


@pytest.fixture
def start_emulator():
    """Factory for extra emulator processes with their own options; all are stopped afterwards."""
    yield from started(Emulator)
