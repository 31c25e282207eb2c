# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The standard pytest fixtures of the test trees; a tree's conftest.py imports the ones it uses.

Emulators: ``emulator`` (one per xdist worker, started with ``emulator_args``, reset before each test),
``start_emulator(*args)`` (a dedicated one, stopped at teardown). Ansible: ``collections_path``, ``ansible_home``,
``run_playbook``. Network: ``local_server(answer)``, ``server`` (a ``ScriptedServer``), ``closed_port``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

import pytest

from incoplax_testing import playbook
from incoplax_testing.emulator import Emulator
from incoplax_testing.server import LocalServer, ResettingServer, ScriptedServer


def started(make):
    """The body of a factory fixture: yields ``make``, keeping what it returns; stops each at teardown."""
    instances = []

    def start(*args, **kwargs):
        instance = make(*args, **kwargs)
        instances.append(instance)
        return instance

    yield start
    for instance in instances:
        instance.stop()


@pytest.fixture(scope='session')
def collections_path(tmp_path_factory):
    """ANSIBLE_COLLECTIONS_PATH under which ``incoplax.platform`` is this source tree."""
    return playbook.collections_path(tmp_path_factory)


@pytest.fixture(scope='session')
def ansible_home(tmp_path_factory):
    return str(tmp_path_factory.mktemp('ansible_home'))


@pytest.fixture
def run_playbook(tmp_path, collections_path, ansible_home):  # pylint: disable=redefined-outer-name
    """``run_playbook(tasks_or_play, check=False, diff=False, extra_vars=None, env=None, verbosity=0, timeout=300,
    inventory=None, args=(), local=True)``: see ``incoplax_testing.playbook.run_playbook``.

    ``env`` adds variables to the cleaned environment (a None value removes one).
    """
    counter = [0]
    settings = {'ANSIBLE_COLLECTIONS_PATH': collections_path, 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false',
                'ANSIBLE_HOME': ansible_home}

    def run(tasks_or_play, **options):
        counter[0] += 1
        workdir = tmp_path / ('run%d' % counter[0])
        workdir.mkdir()
        return playbook.run_playbook(workdir, settings, tasks_or_play, **options)

    return run


@pytest.fixture(scope='session')
def emulator_log_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp('emulator_logs'))


@pytest.fixture(scope='session')
def emulator_args():
    """The options of the shared emulator; a tree overrides this fixture to start it with a data set."""
    return ()


@pytest.fixture(scope='session')
def emulator_class():
    """The driver the emulator fixtures start, called as ``emulator_class(args, log_dir=...)``; a tree overrides this
    fixture with a subclass of ``Emulator`` that adds its own helpers (as tests/emulator does)."""
    return Emulator


@pytest.fixture(scope='session')
def session_emulator(emulator_log_dir, emulator_args, emulator_class):  # pylint: disable=redefined-outer-name
    """One emulator per pytest (xdist worker) process."""
    instance = emulator_class(emulator_args, log_dir=emulator_log_dir)
    yield instance
    instance.stop()


@pytest.fixture
def emulator(session_emulator):  # pylint: disable=redefined-outer-name
    """The shared emulator, reset to its start-up data set, with zero counters and no faults."""
    session_emulator.reset()
    return session_emulator


@pytest.fixture
def start_emulator(emulator_log_dir, emulator_class):  # pylint: disable=redefined-outer-name
    """Factory: ``start_emulator(*args)`` starts a dedicated emulator, stopped at teardown."""
    yield from started(lambda *args: emulator_class(args, log_dir=emulator_log_dir))


@pytest.fixture
def closed_port():
    """A loopback TCP port that refuses connections: bound but never listening, held for the whole test."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def local_server():
    """Factory: ``local_server(answer, host='127.0.0.1')``, stopped at teardown."""
    yield from started(LocalServer)


@pytest.fixture
def server():
    """A ``ScriptedServer``: answers from the queue the test fills with ``add()``."""
    yield from _one(ScriptedServer)


@pytest.fixture
def resetting_server():
    """Factory: ``resetting_server(listing=None)``, a ``ResettingServer`` stopped at teardown."""
    yield from started(ResettingServer)


def _one(make):
    for start in started(make):
        yield start()
