# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What was asked (_request.py): names as given, the request as read, protection of accounts, ambiguity.

Property tests of the same rules are in test__request_properties.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.incoplax.platform.plugins.module_utils import _request
from ansible_collections.incoplax.platform.plugins.module_utils._errors import ParameterError
from incoplax_testing.modules import (  # pylint: disable=import-error
    plan_entry as entry, plan_listing, read_request as request,
)
from incoplax_testing.oracle import NFC_JOSE, NFD_JOSE  # pylint: disable=import-error

BEFORE = plan_listing()


# ---------------------------------------------------------------------------------------------------- names

def test_clean_names_trims_and_dedupes_in_order():
    assert _request.clean_names([' bob', 'alice ', 'bob', '\talice\n', 'carol'], 'user') == ['bob', 'alice', 'carol']


def test_clean_names_keeps_inner_spaces_and_none_means_unset():
    assert _request.clean_names(['a b'], 'user') == ['a b']
    assert _request.clean_names(None, 'user') is None


@pytest.mark.parametrize('value, kind', [
    (['alice', ['bob', 'carol']], 'list'),
    (['alice', None], 'null'),
    ([3], 'int'),
    ([{'login': 'x'}], 'dict'),
    ([True], 'bool'),
    ([1.5], 'float'),
])
@pytest.mark.parametrize('option', ['user', 'protected_users', 'session_id'])
def test_clean_names_refuses_non_strings_naming_the_option_and_the_type(value, kind, option):
    with pytest.raises(ParameterError) as info:
        _request.clean_names(value, option)
    text = str(info.value)
    assert text.startswith(option + ': ') and 'is a %s, not a name' % kind in text
    assert 'flat list of strings' in text


@pytest.mark.parametrize('value', [[''], ['  '], ['alice', '\t\n'], ['\u00a0']])
def test_clean_names_refuses_blank_names(value):
    with pytest.raises(ParameterError, match=r'^protected_users: .* is empty; remove it'):
        _request.clean_names(value, 'protected_users')


def test_clean_names_refuses_an_empty_list():
    with pytest.raises(ParameterError, match='^user: the list is empty'):
        _request.clean_names([], 'user')


@pytest.mark.parametrize('left, right', [
    ('ADMIN', 'admin'), ('Admin', 'aDMIN'), (NFD_JOSE, NFC_JOSE), ('JOS\u00c9', NFD_JOSE), ('Stra\u00dfe', 'STRASSE'),
])
def test_name_key_folds_case_and_unicode_normalisation(left, right):
    assert left != right
    assert _request.name_key(left) == _request.name_key(right)


@pytest.mark.parametrize('left, right', [('admin', 'admin2'), ('admin', ' admin'), ('jose', NFC_JOSE)])
def test_name_key_keeps_different_names_apart(left, right):
    assert _request.name_key(left) != _request.name_key(right)


# ---------------------------------------------------------------------------------------------------- read_request

def test_read_request_trims_every_name_list():
    got = request(user=[' alice', 'bob '], domain=' d ', protected_users=['svc-ansible', ' admin'])
    assert got['users'] == ['alice', 'bob'] and got['domain'] == 'd'
    assert got['protected'] == ['svc-ansible', 'admin']
    assert request(session_id=[' s1 ', 's1'])['session_ids'] == ['s1']
    assert request(match={'login': [' bob'], 'site': ['east ']})['match'] == {'login': ['bob'], 'site': ['east']}


def test_read_request_normalizes_sites_and_warns_about_lookalikes():
    got = request(session_id=['s1'], sites='east')
    assert got['sites'] == ['east'] and got['warnings'] == []
    warned = request(session_id=['s1'], sites='ALL')
    assert warned['sites'] == ['ALL'] and len(warned['warnings']) == 1 and "'ALL'" in warned['warnings'][0]


@pytest.mark.parametrize('overrides, start', [
    (dict(session_id=['s1'], concurrency=0), 'concurrency: '),
    (dict(session_id=['s1'], max_sessions=-1), 'max_sessions: '),
    (dict(session_id=['s1'], wait_timeout=-1), 'wait_timeout: '),
    (dict(), 'set one of session_id, user or match'),
    (dict(user=['alice']), 'domain: must be set'),
    (dict(user=['alice'], domain='  '), 'domain: must be set'),
    (dict(user=['alice', ['bob']], domain='d'), 'user: '),
    (dict(user=[None], domain='d'), 'user: '),
    (dict(user=[], domain='d'), 'user: the list is empty'),
    (dict(session_id=['s1'], domain='d'), 'domain: only used with user'),
    (dict(domain='d'), 'set one of session_id, user or match'),
    (dict(user=None, domain='d', session_id=None), 'set one of session_id, user or match'),
    (dict(session_id=['s1', 7]), 'session_id: '),
    (dict(session_id=[' ']), 'session_id: '),
    (dict(match={}), 'match: set at least one of'),
    (dict(match={'login': []}), 'match.login: the list is empty'),
    (dict(match={'login': [['alice']]}), 'match.login: '),
    (dict(match={'site': [None]}), 'match.site: '),
    (dict(match={'session_type': ['ftp']}), 'match.session_type: '),
    (dict(session_id=['s1'], protected_users=['root', None]), 'protected_users: '),
    (dict(session_id=['s1'], protected_users=['root', ' ']), 'protected_users: '),
    (dict(session_id=['s1'], sites=3), 'sites: '),
])
def test_read_request_refuses_bad_input_naming_the_option(overrides, start):
    with pytest.raises(ParameterError) as info:
        request(**overrides)
    assert str(info.value).startswith(start), str(info.value)


def test_refuse_bad_session_ids_reports_each_unsafe_id_with_a_reason():
    refused = _request.refuse_bad_session_ids(['ok-1', '..', 'x' * 1025, 'a\x00b', 'a/b'])
    assert [item['target'] for item in refused] == ['..', 'x' * 1025, 'a\x00b']
    assert all(item['type'] == 'session_id' and item['status'] is None for item in refused)
    assert all(item['error'].startswith('not sent: ') and _request.ID_HELP in item['error'] for item in refused)
    assert _request.refuse_bad_session_ids(None) == [] and _request.refuse_bad_session_ids(['a/b', '%2F', '...']) == []


# ---------------------------------------------------------------------------------------------------- protection

@pytest.mark.parametrize('protected', ['keeper', 'uid-keeper', 'KEEPER', 'Uid-Keeper'])
def test_protection_recognises_the_account_by_either_name_in_any_case(protected):
    protection = _request.Protection([protected], BEFORE)
    assert protection.covers(BEFORE[5])
    assert protection.covers_name('keeper') and protection.covers_name('UID-KEEPER')
    assert not any(protection.covers(e) for e in BEFORE[:5])


def test_protection_recognises_unicode_normalisations_both_ways():
    listing = [entry('j1', NFD_JOSE, user_id='u-j'), entry('j2', 'other')]
    for name in (NFC_JOSE, NFC_JOSE.upper(), NFD_JOSE):
        protection = _request.Protection([name], listing)
        assert protection.covers(listing[0]) and not protection.covers(listing[1])
        assert protection.covers_name('u-j') and protection.unmatched == []


def test_protection_reports_names_that_match_no_account():
    protection = _request.Protection(['keeper', 'kepeer', 'nobody'], BEFORE)
    assert protection.unmatched == ['kepeer', 'nobody']


def test_protection_of_a_name_with_no_session_does_not_learn_other_names():
    protection = _request.Protection(['ghost'], BEFORE)
    assert protection.covers_name('GHOST') and not protection.covers_name('uid-ghost')


def test_an_entry_with_non_text_names_is_never_protected_by_a_stringified_name():
    odd = {'session_id': 'z', 'login': ['keeper'], 'user_id': None, 'site': 'east', 'domain': 'd'}
    protection = _request.Protection(["['keeper']", 'None'], [odd])
    assert not protection.covers(odd)


def test_ambiguity_text_names_every_account():
    text = _request.ambiguity('bob', 'd', [('bob', 'u1'), ('robert', 'bob'), ('roberta', 'bob')])
    assert text.startswith("user: 'bob' designates 3 accounts in d: ")
    assert 'login roberta (user id bob)' in text
