# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The safety and outcome contracts of ws_session (issues 11 and 12), attacked with real ansible-playbook runs
against a real emulator that lies: it ignores sites, answers 404 for what it still lists, propagates slowly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import unicodedata
from urllib.parse import unquote

import pytest

from incoplax_testing.cast import entry  # pylint: disable=import-error
from incoplax_testing.cast import SESSIONS_PATH, MASTER  # pylint: disable=import-error


MODULE = 'incoplax.platform.ws_session'
INFO = 'incoplax.platform.ws_session_info'
TOKEN = 'safety-T0ken-7c1d'
JOSE_NFD = unicodedata.normalize('NFD', 'jos\u00e9')
JOSE_NFC = unicodedata.normalize('NFC', 'jos\u00e9')


SESSIONS = [
    entry('own-1', 'admin', user_id='u-admin'),
    entry('adm-2', 'admin', 'east', user_id='u-admin'),
    entry('al-1', 'alice', user_id='u-alice'),
    entry('al-2', 'alice', 'east', user_id='u-alice'),
    entry('bob-1', 'bob', 'west', user_id='u-bob'),
    entry('bob-2', 'bob', user_id='u-bob'),
    # robert's user id is "bob": the name bob designates two accounts.
    entry('rob-1', 'robert', 'east', user_id='bob'),
    entry('jo-1', JOSE_NFD, user_id='u-jose'),
    # One id listed on two sites, as http and websocket.
    entry('twin', 'carol', user_id='u-carol'),
    entry('twin', 'carol', 'east', 'websocket', user_id='u-carol'),
    entry('.', 'mallory', user_id='u-mallory'),
    entry('..', 'mallory', 'east', user_id='u-mallory'),
    entry('mal-ok', 'mallory', 'west', user_id='u-mallory'),
]

FIXTURE = {
    'current_site': 'central',
    'sites': ['central', 'east', 'west'],
    'credentials': {'tokens': {TOKEN: {'login': 'admin', 'user_id': 'u-admin', 'domain': MASTER, 'session_id': 'own-1'}}},
    'sessions': SESSIONS,
}


@pytest.fixture
def api(emulator):
    emulator.load(copy.deepcopy(FIXTURE))
    return emulator


def task(api, name, module=MODULE, ignore_errors=True, **options):
    args = dict(url=api.url, token=TOKEN)
    args.update(options)
    return {'name': name, module: {key: value for key, value in args.items() if value is not None},
            'ignore_errors': ignore_errors}


def writes(api):
    return [entry for entry in api.state()['requests'] if entry['method'] in ('POST', 'DELETE')]


def open_ids(api):
    return sorted({entry['session_id'] for entry in api.state()['sessions']})


def ids(entries):
    return sorted({entry['session_id'] for entry in entries})


def assert_failed(run, name, *words):
    found = run.task(name)
    assert found['status'] == 'failed', found
    for word in words:
        assert word in found['result']['msg'], (word, found['result']['msg'])
    return found['result']


# 1. Scope: nothing outside the sites and filters asked for

def test_a_platform_that_ignores_sites_is_refused_before_anything_is_sent(api, run_playbook):
    api.set_faults({'ignore_sites': True})
    run = run_playbook([
        task(api, 'logout on east', sites=['east'], user=['alice'], domain=MASTER),
        task(api, 'match on east', sites='east', match={'login': ['alice']}),
        task(api, 'id on east', sites=['east'], session_id=['al-2']),
        task(api, 'current site', user=['alice'], domain=MASTER),
        task(api, 'info on east', module=INFO, sites=['east']),
    ])
    for name in ('logout on east', 'match on east', 'id on east', 'current site', 'info on east'):
        assert_failed(run, name, 'outside the requested scope', 'not honouring sites')
    assert writes(api) == []
    assert open_ids(api) == sorted({entry['session_id'] for entry in SESSIONS})


def test_sites_all_is_not_checked_and_still_works_when_sites_is_ignored(api, run_playbook):
    api.set_faults({'ignore_sites': True})
    run = run_playbook([task(api, 'all', sites='all', user=['alice'], domain=MASTER, ignore_errors=False)])
    assert ids(run.result('all')['closed']) == ['al-1', 'al-2']


def test_match_site_narrows_the_delete_to_the_matched_sites(api, run_playbook):
    run = run_playbook([task(api, 'twin on east', sites='all', match={'login': ['carol'], 'site': ['east']},
                             ignore_errors=False)])
    result = run.result('twin on east')
    assert [(e['session_id'], e['site']) for e in result['closed']] == [('twin', 'east')]
    deletes = writes(api)
    assert len(deletes) == 1 and api.sites_query(deletes[0]) == ['east']
    assert ('twin', 'central') in {(e['session_id'], e['site']) for e in api.state()['sessions']}


def test_every_delete_carries_the_sites_of_its_own_entries(api, run_playbook):
    run_playbook([task(api, 'by id', sites='all', session_id=['twin', 'bob-1'], ignore_errors=False)])
    scopes = {unquote(entry['path'].rsplit('/', 1)[1]): api.sites_query(entry) for entry in writes(api)}
    assert scopes == {'twin': ['central', 'east'], 'bob-1': ['west']}


def test_listed_ids_that_are_not_one_path_segment_are_not_sent(api, run_playbook):
    run = run_playbook([task(api, 'mallory', sites='all', match={'login': ['mallory']})])
    result = assert_failed(run, 'mallory', 'not sent')
    assert sorted(item['target'] for item in result['failed_targets']) == ['.', '..']
    assert all('not sent' in item['error'] for item in result['failed_targets'])
    assert ids(result['closed']) == ['mal-ok']
    assert sorted(e['session_id'] for e in result['remaining']) == ['.', '..']
    paths = [entry['path'] for entry in writes(api)]
    assert paths == [SESSIONS_PATH + '/mal-ok'], paths


@pytest.mark.parametrize('bad', ['..', '.', ' al-1', 'al 1'])
def test_given_ids_that_cannot_be_sent_fail_before_anything_is_sent(api, run_playbook, bad):
    run = run_playbook([task(api, 'bad id', sites='all', session_id=['al-1', bad])])
    if bad.strip() == 'al-1':
        # surrounding whitespace is trimmed: the same id, closed once
        assert run.task('bad id')['status'] == 'changed'
        assert ids(run.result('bad id')['closed']) == ['al-1']
        return
    result = assert_failed(run, 'bad id', 'session_id')
    assert [item['target'] for item in result['failed_targets']] == [bad]
    assert writes(api) == [] and api.counters()['GET'] == 0


# 2. Identity: the guard protects what a human meant

def test_names_are_trimmed_in_every_list(api, run_playbook):
    run = run_playbook([
        task(api, 'comma string', sites='all', user='alice, bob-not-there', domain=MASTER,
             protected_users='svc-ansible, admin'),
        task(api, 'match', sites='all', match={'domain': [' %s ' % MASTER]}, protected_users='svc, admin, alice , bob,'
             ' robert, %s, carol, mallory' % JOSE_NFC),
    ])
    first = run.task('comma string')
    assert first['status'] == 'changed', first
    assert ids(first['result']['closed']) == ['al-1', 'al-2'] and first['result']['not_open'] == ['bob-not-there']
    second = run.result('match')
    assert second['closed'] == [], second
    assert 'own-1' not in ids(second['closed']) and 'adm-2' in open_ids(api)


@pytest.mark.parametrize('protected', ['ADMIN', 'Admin', 'u-ADMIN'])
def test_protection_ignores_case(api, run_playbook, protected):
    run = run_playbook([
        task(api, 'named', sites='all', user=['admin'], domain=MASTER, protected_users=[protected]),
        task(api, 'matched', sites='all', match={'domain': [MASTER]}, protected_users=[protected, 'alice', 'bob',
             'robert', 'carol', 'mallory', 'u-jose']),
    ])
    assert_failed(run, 'named', 'protected')
    matched = run.result('matched')
    assert 'adm-2' not in ids(matched['closed']) and 'adm-2' in ids(matched['skipped_protected'])
    assert writes(api) == []


def test_protection_ignores_unicode_normalisation(api, run_playbook):
    run = run_playbook([
        task(api, 'jose by nfd login', sites='all', user=[JOSE_NFD], domain=MASTER, protected_users=[JOSE_NFC]),
        task(api, 'jose matched', sites='all', match={'user_id': ['u-jose']}, protected_users=[JOSE_NFC.upper()]),
    ])
    assert_failed(run, 'jose by nfd login', 'protected')
    assert ids(run.result('jose matched')['skipped_protected']) == ['jo-1']
    assert writes(api) == [] and 'jo-1' in open_ids(api)


def test_a_protected_name_that_matches_no_account_is_warned(api, run_playbook):
    run = run_playbook([task(api, 'typo', sites='all', user=['alice'], domain=MASTER, protected_users=['admn'],
                             ignore_errors=False)])
    warnings = run.task('typo')['result'].get('warnings', [])
    assert any('admn' in warning and 'spelling' in warning for warning in warnings), warnings


def test_a_name_of_two_accounts_is_refused_naming_both(api, run_playbook):
    run = run_playbook([task(api, 'bob', sites='all', user=['bob'], domain=MASTER)])
    result = assert_failed(run, 'bob', "'bob'", 'login bob (user id u-bob)', 'login robert (user id bob)', 'match')
    assert writes(api) == []
    assert result['closed'] == []
    assert ids(result['remaining']) == ['bob-1', 'bob-2', 'rob-1']


@pytest.mark.parametrize('users', [[['alice', 'bob']], [None], [5], [{'login': 'alice'}], ['']])
def test_targets_that_are_not_names_are_refused(api, run_playbook, users):
    run = run_playbook([task(api, 'odd', sites='all', user=users, domain=MASTER),
                        task(api, 'odd protected', sites='all', user=['alice'], domain=MASTER, protected_users=users),
                        task(api, 'odd match', sites='all', match={'login': users}),
                        task(api, 'odd id', sites='all', session_id=users)])
    for name, option in (('odd', 'user'), ('odd protected', 'protected_users'), ('odd match', 'match.login'),
                         ('odd id', 'session_id')):
        assert_failed(run, name, option)
    assert writes(api) == [] and api.counters()['GET'] == 0


def test_null_targets_get_clear_errors(api, run_playbook):
    run = run_playbook([
        {'name': 'null id', MODULE: {'url': api.url, 'token': TOKEN, 'session_id': None}, 'ignore_errors': True},
        {'name': 'null match', MODULE: {'url': api.url, 'token': TOKEN, 'match': None}, 'ignore_errors': True},
        {'name': 'null user', MODULE: {'url': api.url, 'token': TOKEN, 'user': None, 'domain': MASTER},
         'ignore_errors': True},
    ])
    for name in ('null id', 'null match', 'null user'):
        result = assert_failed(run, name)
        assert 'NoneType' not in result['msg'] and 'null' in result['msg'], result['msg']
    assert 'user' in run.result('null user')['msg']
    assert api.counters()['total'] == 0


@pytest.mark.parametrize('sites, word', [('ALL', "keyword 'all'"), ('["east"]', 'JSON'), ('east,west', 'comma')])
def test_site_names_that_look_like_mistakes_are_warned(api, run_playbook, sites, word):
    run = run_playbook([task(api, 'odd sites', module=INFO, sites=sites, ignore_errors=False),
                        task(api, 'odd sites close', sites=sites, user=['alice'], domain=MASTER, ignore_errors=False)])
    for name in ('odd sites', 'odd sites close'):
        warnings = run.task(name)['result'].get('warnings', [])
        assert any(word in warning for warning in warnings), warnings
    assert writes(api) == []


# 12. Honest outcome

def test_a_404_for_a_session_still_listed_is_remaining_and_fails(api, run_playbook):
    api.set_faults({'stale_sessions': ['bob-1']})
    run = run_playbook([task(api, 'stale', sites='all', session_id=['bob-1', 'bob-2'], wait_timeout=1)])
    result = assert_failed(run, 'stale', '404')
    assert ids(result['remaining']) == ['bob-1'] and ids(result['closed']) == ['bob-2']
    assert [(item['target'], item['status']) for item in result['failed_targets']] == [('bob-1', 404)]
    assert result['already_gone'] == [] and result['counts']['closed'] == 1 and result['counts']['remaining'] == 1


def test_a_session_gone_before_it_could_be_closed_is_already_gone(api, run_playbook):
    api.set_faults({'ghost_sessions': ['bob-1']})
    run = run_playbook([task(api, 'ghost', sites='all', session_id=['bob-1', 'bob-2'], ignore_errors=False)])
    result = run.result('ghost')
    assert ids(result['already_gone']) == ['bob-1'] and ids(result['closed']) == ['bob-2']
    assert result['counts']['closed'] == 1 and result['counts']['already_gone'] == 1
    assert result['failed_targets'] == [] and result['remaining'] == []


def test_slow_propagation_beyond_wait_timeout_is_remaining_never_spared(api, run_playbook):
    api.set_faults({'close_delay': 30})
    run = run_playbook([task(api, 'slow', sites='all', user=['alice', 'u-bob'], domain=MASTER, caller='admin',
                             wait_timeout=1)])
    result = assert_failed(run, 'slow', 'still open')
    assert result['spared'] == [] and result['closed'] == []
    assert ids(result['remaining']) == ['al-1', 'al-2', 'bob-1', 'bob-2']


def test_slow_propagation_within_wait_timeout_is_closed(api, run_playbook):
    api.set_faults({'close_delay': 1.5})
    run = run_playbook([task(api, 'slow', sites='all', user=['alice'], domain=MASTER, wait_timeout=20,
                             ignore_errors=False)])
    assert ids(run.result('slow')['closed']) == ['al-1', 'al-2']


def test_only_the_callers_own_session_is_spared(api, run_playbook):
    run = run_playbook([task(api, 'self logout', sites='all', user=['admin'], domain=MASTER, caller='admin',
                             ignore_errors=False)])
    result = run.result('self logout')
    assert ids(result['spared']) == ['own-1'] and ids(result['closed']) == ['adm-2'] and result['caller'] == 'admin'


def test_an_unknown_caller_keeps_the_lone_survivor_remaining_and_says_how_to_fix_it(api, run_playbook):
    run = run_playbook([task(api, 'self logout', sites='all', user=['admin'], domain=MASTER, wait_timeout=1)])
    result = assert_failed(run, 'self logout', 'set caller')
    assert ids(result['remaining']) == ['own-1'] and result['spared'] == [] and result['caller'] is None


def test_the_caller_comes_from_the_environment(api, run_playbook):
    run = run_playbook([task(api, 'self logout', sites='all', user=['admin'], domain=MASTER, ignore_errors=False)],
                       env={'INCOPLAX_CALLER': 'u-admin'})
    assert ids(run.result('self logout')['spared']) == ['own-1']


def test_max_sessions_zero_refuses_any_and_reports_what_is_open(api, run_playbook):
    run = run_playbook([task(api, 'zero', sites='all', user=['alice'], domain=MASTER, max_sessions=0)])
    result = assert_failed(run, 'zero', 'max_sessions')
    assert ids(result['remaining']) == ['al-1', 'al-2'] and result['counts']['before'] == 2
    assert writes(api) == []


def test_a_guard_refusal_reports_the_known_listing(api, run_playbook):
    run = run_playbook([task(api, 'guard', sites='all', user=['alice', 'admin'], domain=MASTER,
                             protected_users=['admin'])])
    result = assert_failed(run, 'guard', 'protected_users', 'nothing was closed')
    assert result['closed'] == [] and 'al-1' in ids(result['remaining'])
    assert writes(api) == []


def test_a_target_with_no_session_is_warned(api, run_playbook):
    run = run_playbook([task(api, 'typo', sites='all', user=['alcie'], domain=MASTER, ignore_errors=False)])
    result = run.result('typo')
    assert result['not_open'] == ['alcie'] and result['changed'] is False
    assert any('alcie' in warning for warning in result.get('warnings', []))
    assert result['counts']['not_open'] == 1 and result['counts']['before'] == 0
