# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Hypothesis strategies and the independent oracle of the ws_session property tests (_request, _plan).

The oracle is written here, not with the code's own helpers: names compare by canonical caseless matching as
Unicode defines it, and every name of a protected account is protected.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import unicodedata

from hypothesis import settings
from hypothesis import strategies as st

from ansible_collections.incoplax.platform.plugins.module_utils import _request

from incoplax_testing.modules import ws_session_params as params

FAST = settings(max_examples=300, deadline=None)

NFC_JOSE = unicodedata.normalize('NFC', 'jos\u00e9')
NFD_JOSE = unicodedata.normalize('NFD', 'jos\u00e9')
# Logins and user ids overlap on purpose: one account's login is another's user id, names differ by case or
# normalisation only, so that protection, ambiguity and deduplication are all exercised.
NAMES = ['alice', 'ALICE', 'bob', 'robert', 'keeper', 'Keeper', NFC_JOSE, NFD_JOSE, 'u1', 'u2', 'U1']
SITES = ['central', 'east', 'west']
SESSION_IDS = ['s1', 's2', 's3', 's4', 's5']
DOMAINS = ['d', 'e']

names = st.sampled_from(NAMES)
listing_entries = st.fixed_dictionaries({
    'session_id': st.sampled_from(SESSION_IDS),
    'login': names,
    'user_id': names,
    'site': st.sampled_from(SITES),
    'domain': st.sampled_from(DOMAINS),
    'session_type': st.sampled_from(['http', 'websocket']),
})
listings = st.lists(listing_entries, max_size=10)
# Names as a human types them: padded, or in another case, or in another normalisation.
typed_names = st.builds(lambda name, pad, case: pad + {0: name, 1: name.upper(), 2: name.lower()}[case] + pad[::-1],
                        names, st.sampled_from(['', ' ', '\t']), st.integers(0, 2))
sites_options = st.one_of(st.sampled_from([None, 'all', 'current']),
                          st.lists(st.sampled_from(SITES + ['north']), min_size=1, max_size=3, unique=True))


@st.composite
def requests(draw):
    """A valid ws_session request of any of the three kinds, with protected users and sites."""
    kind = draw(st.sampled_from(['user', 'session_id', 'match']))
    common = dict(protected_users=draw(st.lists(typed_names, max_size=3)), sites=draw(sites_options))
    if kind == 'user':
        return _request.read_request(params(user=draw(st.lists(typed_names, min_size=1, max_size=4)),
                                            domain=draw(st.sampled_from(DOMAINS)), **common))
    if kind == 'session_id':
        ids = draw(st.lists(st.sampled_from(SESSION_IDS + ['zz']), min_size=1, max_size=4))
        return _request.read_request(params(session_id=ids, **common))
    match = draw(st.fixed_dictionaries({}, optional={
        'login': st.lists(names, min_size=1, max_size=2),
        'user_id': st.lists(names, min_size=1, max_size=2),
        'domain': st.lists(st.sampled_from(DOMAINS), min_size=1, max_size=2),
        'session_type': st.lists(st.sampled_from(['http', 'websocket']), min_size=1, max_size=2),
        'site': st.lists(st.sampled_from(SITES), min_size=1, max_size=2),
    }).filter(bool))
    return _request.read_request(params(match=match, **common))


def key(name):
    """The oracle's comparison: canonical caseless matching, as Unicode defines it (D145)."""
    return unicodedata.normalize('NFD', unicodedata.normalize('NFD', name).casefold())


def protected_keys(listing, protected):
    """Every name of every protected account: the protected names, and the other name of each listed account
    that one of them designates."""
    keys = {key(name) for name in protected}
    learnt = set(keys)
    for entry in listing:
        if key(entry['login']) in keys or key(entry['user_id']) in keys:
            learnt.update((key(entry['login']), key(entry['user_id'])))
    return learnt


def is_protected(entry, keys):
    return key(entry['login']) in keys or key(entry['user_id']) in keys
