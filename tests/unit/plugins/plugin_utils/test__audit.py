# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of plugin_utils/_audit.py: session_findings and sessions_to_csv (the session_audit filters)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import csv
import functools
import io

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.incoplax.platform.plugins.plugin_utils._audit import (
    CSV_HEADER,
    session_findings,
    sessions_to_csv,
)
from incoplax_testing import cast  # pylint: disable=import-error
from incoplax_testing.cast import MASTER, BRANCH, ADMIN_ID, ALICE_ID, ALICE_BRANCH_ID, BOB_ID  # pylint: disable=import-error

# The entries of this file live 600 s unless said otherwise.
entry = functools.partial(cast.entry, ttl=600)


ALIVE = {'conn_id': 'c-alive', 'is_pid_alive': True, 'node': 'ws1@192.168.0.32', 'pid': '<0.1.0>'}
DEAD = {'conn_id': 'c-dead', 'is_pid_alive': False, 'node': 'ws2@192.168.0.33', 'pid': '<0.204.7>'}


def sample():
    """alice: 3 sessions (one listed as http and websocket) on central and east; bob: one dead connection;
    admin: 2 sessions on one site; alice in another domain is another user."""
    return [
        entry('a1', 'alice', user_id=ALICE_ID),
        entry('a1', 'alice', 'central', 'websocket', user_id=ALICE_ID, connections=[ALIVE]),
        entry('a2', 'alice', 'east', user_id=ALICE_ID),
        entry('a3', 'alice', 'east', user_id=ALICE_ID),
        entry('b1', 'bob', 'west', 'websocket', user_id=BOB_ID, connections=[ALIVE, DEAD]),
        entry('ad1', 'admin', user_id=ADMIN_ID),
        entry('ad2', 'admin', user_id=ADMIN_ID),
        entry('ab1', 'alice', 'west', user_id=ALICE_BRANCH_ID, domain=BRANCH),
    ]


def test_findings_exact():
    findings = session_findings(sample(), max_sessions_per_user=2, privileged_users=['admin'])
    assert findings == {
        'users_over_limit': [
            {'domain': MASTER, 'login': 'alice', 'user_id': ALICE_ID, 'sessions': 3, 'sites': ['central', 'east']},
        ],
        'multi_site_users': [
            {'domain': MASTER, 'login': 'alice', 'user_id': ALICE_ID, 'sites': ['central', 'east']},
        ],
        'dead_websocket_connections': [
            {'session_id': 'b1', 'login': 'bob', 'domain': MASTER, 'site': 'west', 'conn_id': 'c-dead',
             'node': 'ws2@192.168.0.33', 'pid': '<0.204.7>'},
        ],
        'privileged_sessions': [
            {'session_id': 'ad1', 'session_type': 'http', 'login': 'admin', 'user_id': ADMIN_ID, 'domain': MASTER, 'site': 'central'},
            {'session_id': 'ad2', 'session_type': 'http', 'login': 'admin', 'user_id': ADMIN_ID, 'domain': MASTER, 'site': 'central'},
        ],
        'counts': {'users_over_limit': 1, 'multi_site_users': 1, 'dead_websocket_connections': 1, 'privileged_sessions': 2,
                   'sessions': 8, 'unique_sessions': 7, 'users': 4},
    }


def test_defaults_limit_five_and_no_privileged_users():
    findings = session_findings(sample())
    assert findings['users_over_limit'] == []
    assert findings['privileged_sessions'] == []
    assert findings['counts']['users'] == 4


def test_session_listed_twice_counts_once():
    entries = [entry('s1', 'carol', user_id='c'), entry('s1', 'carol', 'central', 'websocket', user_id='c', connections=[])]
    assert session_findings(entries, max_sessions_per_user=1)['users_over_limit'] == []
    entries.append(entry('s2', 'carol', user_id='c'))
    over = session_findings(entries, max_sessions_per_user=1)['users_over_limit']
    assert over == [{'domain': MASTER, 'login': 'carol', 'user_id': 'c', 'sessions': 2, 'sites': ['central']}]


def test_limit_is_exclusive_and_zero_disables_it():
    entries = [entry('s%d' % n, 'carol', user_id='c') for n in range(3)]
    assert session_findings(entries, max_sessions_per_user=3)['counts']['users_over_limit'] == 0
    assert session_findings(entries, max_sessions_per_user=2)['counts']['users_over_limit'] == 1
    assert session_findings(entries, max_sessions_per_user=0)['counts']['users_over_limit'] == 0
    assert session_findings(entries, max_sessions_per_user='2')['counts']['users_over_limit'] == 1


def test_users_are_per_domain_and_user_id():
    entries = [
        entry('s1', 'alice', user_id=ALICE_ID),
        entry('s2', 'alice', 'east', user_id=ALICE_BRANCH_ID, domain=BRANCH),
        # same login, other user id in the same domain: another user (a re-created account)
        entry('s3', 'alice', 'west', user_id='other-id'),
    ]
    findings = session_findings(entries)
    assert findings['counts']['users'] == 3
    assert findings['multi_site_users'] == []


def test_user_without_user_id_is_identified_by_login():
    entries = [entry('s1', 'dave', user_id=None), entry('s2', 'dave', 'east', user_id='')]
    findings = session_findings(entries, max_sessions_per_user=1)
    assert findings['counts']['users'] == 1
    assert findings['multi_site_users'] == [{'domain': MASTER, 'login': 'dave', 'user_id': None, 'sites': ['central', 'east']}]


@pytest.mark.parametrize('names', [['admin'], [ADMIN_ID], ['nobody', ADMIN_ID]])
def test_privileged_matches_by_login_or_user_id(names):
    findings = session_findings(sample(), privileged_users=names)
    assert [item['session_id'] for item in findings['privileged_sessions']] == ['ad1', 'ad2']


def test_privileged_lists_each_entry_in_every_domain():
    findings = session_findings(sample(), privileged_users=['alice'])
    got = [(item['domain'], item['session_id'], item['session_type']) for item in findings['privileged_sessions']]
    assert got == [(BRANCH, 'ab1', 'http'),
                   (MASTER, 'a1', 'http'), (MASTER, 'a1', 'websocket'), (MASTER, 'a2', 'http'), (MASTER, 'a3', 'http')]
    assert findings['counts']['privileged_sessions'] == 5


def test_dead_connections_only_when_flag_is_false():
    entries = [
        entry('w1', 'eve', 'east', 'websocket', user_id='e', connections=[
            {'conn_id': 'k1', 'is_pid_alive': False, 'node': 'n1', 'pid': 'p1'},
            {'conn_id': 'k2', 'node': 'n1', 'pid': 'p2'},  # no flag: not a finding
            {'conn_id': 'k3', 'is_pid_alive': None, 'node': 'n1', 'pid': 'p3'},
            {'conn_id': 'k4', 'is_pid_alive': 'false', 'node': 'n2', 'pid': 'p4'},
        ]),
        entry('w0', 'eve', 'central', 'websocket', user_id='e', connections=None),
        entry('h1', 'eve', user_id='e'),
    ]
    dead = session_findings(entries)['dead_websocket_connections']
    assert [(item['conn_id'], item['node'], item['pid']) for item in dead] == [('k1', 'n1', 'p1'), ('k4', 'n2', 'p4')]


def test_output_is_sorted_and_independent_of_input_order():
    entries = sample() + [
        entry('z1', 'zed', 'west', user_id='z'), entry('z2', 'zed', user_id='z'), entry('z3', 'zed', 'east', user_id='z'),
        entry('y1', 'yan', 'central', 'websocket', user_id='y', connections=[dict(DEAD, conn_id='c2'), dict(DEAD, conn_id='c1')]),
    ]
    first = session_findings(entries, max_sessions_per_user=1, privileged_users=['admin', 'zed'])
    second = session_findings(list(reversed(copy.deepcopy(entries))), max_sessions_per_user=1, privileged_users=['zed', 'admin'])
    assert first == second
    # most sessions first, then domain/login; most sites first
    assert [(item['login'], item['sessions']) for item in first['users_over_limit']] == [('alice', 3), ('zed', 3), ('admin', 2)]
    assert [item['login'] for item in first['multi_site_users']] == ['zed', 'alice']
    assert first['multi_site_users'][0]['sites'] == ['central', 'east', 'west']
    assert [(item['site'], item['conn_id']) for item in first['dead_websocket_connections']] == [
        ('central', 'c1'), ('central', 'c2'), ('west', 'c-dead')]


def test_empty_list():
    assert session_findings([]) == {
        'users_over_limit': [], 'multi_site_users': [], 'dead_websocket_connections': [], 'privileged_sessions': [],
        'counts': {'users_over_limit': 0, 'multi_site_users': 0, 'dead_websocket_connections': 0, 'privileged_sessions': 0,
                   'sessions': 0, 'unique_sessions': 0, 'users': 0},
    }
    assert sessions_to_csv([]) == ','.join(CSV_HEADER) + '\n'


def test_input_is_not_modified():
    entries = sample()
    before = copy.deepcopy(entries)
    session_findings(entries, max_sessions_per_user=1, privileged_users=['alice'])
    sessions_to_csv(entries)
    assert entries == before


@pytest.mark.parametrize('value', [None, 'text', {'sessions': []}, 5, b'raw'])
@pytest.mark.parametrize('function', [session_findings, sessions_to_csv])
def test_non_list_input_fails_clearly(function, value):
    with pytest.raises(AnsibleFilterError, match='%s: expected a list of session entries' % function.__name__):
        function(value)


@pytest.mark.parametrize('function', [session_findings, sessions_to_csv])
def test_bad_entries_fail_clearly(function):
    with pytest.raises(AnsibleFilterError, match='session entry 1 is a str, not a dict'):
        function([entry('s1', 'x', user_id='x'), 'oops'])
    with pytest.raises(AnsibleFilterError, match='connections of session entry 0 must be a list'):
        function([entry('s1', 'x', 'central', 'websocket', user_id='x', connections='c1')])
    with pytest.raises(AnsibleFilterError, match='connection 0 of session entry 0 is a str'):
        function([entry('s1', 'x', 'central', 'websocket', user_id='x', connections=['c1'])])


@pytest.mark.parametrize('limit, message', [
    ('x', "must be an integer, got 'x'"),
    (None, 'must be an integer, got None'),
    (True, 'got a boolean'),
    (2.5, 'must be an integer, got 2.5'),
    (-1, 'must be 0 (no limit) or more, got -1'),
])
def test_bad_limit_fails_clearly(limit, message):
    with pytest.raises(AnsibleFilterError) as error:
        session_findings(sample(), max_sessions_per_user=limit)
    assert message in str(error.value)
    assert str(error.value).startswith('session_findings: max_sessions_per_user')


@pytest.mark.parametrize('names', ['admin', {'admin': 1}, 3])
def test_bad_privileged_users_fail_clearly(names):
    with pytest.raises(AnsibleFilterError, match='privileged_users must be a list'):
        session_findings(sample(), privileged_users=names)


def test_csv_rows_and_counts():
    text = sessions_to_csv(sample())
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_HEADER)
    assert len(rows) == 1 + len(sample())
    assert rows[1] == ['a1', 'http', 'alice', ALICE_ID, MASTER, 'central', '600', '0', '0']
    assert rows[2] == ['a1', 'websocket', 'alice', ALICE_ID, MASTER, 'central', '600', '1', '0']
    assert rows[5] == ['b1', 'websocket', 'bob', BOB_ID, MASTER, 'west', '600', '2', '1']
    assert text.endswith('\n') and '\r' not in text


def test_csv_quoting_and_missing_fields():
    tricky = {'session_id': 's,1', 'session_type': 'http', 'login': 'o"brien', 'user_id': 'line\nbreak',
              'domain': MASTER, 'site': ' spaced '}
    text = sessions_to_csv([tricky])
    assert '"s,1"' in text and '"o""brien"' in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ['s,1', 'http', 'o"brien', 'line\nbreak', MASTER, ' spaced ', '', '0', '0']
    assert len(rows) == 2


def test_100k_entries_are_all_counted():
    entries = []
    for number in range(100000):
        user = number % 20000
        entries.append(entry('s%06d' % (number // 2), 'user%05d' % user, ('central', 'east', 'west')[user % 3],
                             'http' if number % 2 else 'websocket', user_id='id%05d' % user,
                             connections=[DEAD] if number % 2 == 0 else None))
    findings = session_findings(entries, max_sessions_per_user=2, privileged_users=['user00001', 'id00002'])
    text = sessions_to_csv(entries)
    assert findings['counts']['sessions'] == 100000
    assert findings['counts']['unique_sessions'] == 50000
    assert findings['counts']['users'] == 20000
    assert findings['counts']['dead_websocket_connections'] == 50000
    assert findings['counts']['privileged_sessions'] == 10
    assert text.count('\n') == 100001
