# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.module_utils.errors import AnsibleFallbackNotFound

from ansible_collections.incoplax.platform.plugins.module_utils._args import (
    ParameterError,
    set_env_fallback,
    check_connection_params,
    filters_from_params,
    normalize_sites,
)


@pytest.mark.parametrize('value, expected', [
    (None, None),
    ('all', 'all'),
    ('current', 'current'),
    ('east', ['east']),
    (['east', 'west', 'east'], ['east', 'west']),
    (('a',), ['a']),
])
def test_normalize_sites(value, expected):
    assert normalize_sites(value) == expected


@pytest.mark.parametrize('value, fragment', [
    (5, 'got a int'),
    ({'a': 1}, 'got a dict'),
    (True, 'got a bool'),
    ([], 'list is empty'),
    ('', 'not a usable site name'),
    (' east', 'not a usable site name'),
    (['east', ''], 'not a site name'),
    (['east', 3], 'not a site name'),
    (['all'], 'write sites: all'),
    ('bad\nname', 'not a usable site name'),
])
def test_bad_sites_name_the_parameter_and_the_fix(value, fragment):
    with pytest.raises(ParameterError) as info:
        normalize_sites(value)
    assert str(info.value).startswith('sites:')
    assert fragment in str(info.value)


def connection(**overrides):
    params = dict(url='https://p.example', timeout=30, retries=3)
    params.update(overrides)
    return params


@pytest.mark.parametrize('params, fragment', [
    (connection(timeout=0), 'timeout:'),
    (connection(retries=-1), 'retries:'),
    (connection(url='platform.example'), 'url:'),
])
def test_connection_checks(params, fragment):
    with pytest.raises(ParameterError, match=fragment):
        check_connection_params(params)


def test_connection_checks_accept_good_values():
    check_connection_params(connection(retries=0, url='http://127.0.0.1:8080'))


def test_filters_skip_unset_and_keep_set():
    params = {'login': [' a', 'b ', 'a'], 'user_id': None, 'domain': None, 'session_id': None, 'session_type': ['http']}
    assert filters_from_params(params) == {'login': ['a', 'b'], 'session_type': ['http']}


def test_an_empty_filter_list_is_refused_not_ignored():
    # Ignored, match: {login: [], domain: [d]} would close the whole domain.
    with pytest.raises(ParameterError, match='^match.login: the list is empty'):
        filters_from_params({'login': [], 'domain': ['d']}, name='match')


@pytest.mark.parametrize('params, fragment', [
    ({'login': ['']}, 'login:'),
    ({'session_type': ['ftp']}, 'session_type: ftp'),
])
def test_filters_reject_bad_values(params, fragment):
    with pytest.raises(ParameterError, match=fragment):
        filters_from_params(params)


def test_env_fallback_takes_a_set_variable(monkeypatch):
    monkeypatch.setenv('INCOPLAX_TOKEN', 'tok')
    assert set_env_fallback('INCOPLAX_TOKEN') == 'tok'


@pytest.mark.parametrize('value', ['', None])
def test_env_fallback_treats_empty_or_missing_as_unset(monkeypatch, value):
    # AWX injects every variable of a credential type, an empty input as ''.
    if value is None:
        monkeypatch.delenv('INCOPLAX_USERNAME', raising=False)
    else:
        monkeypatch.setenv('INCOPLAX_USERNAME', value)
    with pytest.raises(AnsibleFallbackNotFound):
        set_env_fallback('INCOPLAX_USERNAME')
