# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Job slicing: the multi-cluster forced logout as a job template with two slices, over three clusters.

AWX runs a sliced job template as one job per slice, each over its share of the inventory (hosts ordered by
name, slice N of M takes every M-th host from the N-th). Each cluster is one inventory host with its own
``incoplax_connection`` (URL and token) as host vars; each has its own emulator with its own token. Together
the slices must contain every cluster exactly once, and each slice's ``forced_logout`` artifacts must count
its own clusters only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from awx_support import DOMAIN, awx_inventory, base_fixture, survey, survey_extra_vars

CLUSTERS = ('cluster-a', 'cluster-b', 'cluster-c')
TARGETS = {'jdoe', 'mallory'}
SESSIONS_PER_CLUSTER = 5  # distinct sessions of jdoe and mallory in base_fixture()


def request_counts(emulator):
    counters = emulator.counters()
    return {key: counters.get(key, 0) for key in ('GET', 'POST', 'DELETE', 'total')}


def test_two_slices_over_three_clusters(awx_jobs, start_emulator, tmp_path):
    emulators, hosts = {}, {}
    for name in CLUSTERS:
        fixture = tmp_path / ('%s.json' % name)
        fixture.write_text(json.dumps(base_fixture(prefix=name)))
        token = 'tok-%s-7f3a91c2' % name
        emulators[name] = start_emulator('--fixture', fixture, '--token', token)
        hosts[name] = {'incoplax_connection': {'url': emulators[name].url, 'token': token}}
    extravars = survey_extra_vars(survey('forced_logout'), {
        'forced_logout_users': 'jdoe,mallory', 'forced_logout_domain': DOMAIN,
        'forced_logout_protected_users': 'breakglass', 'forced_logout_ticket': 'INC-77'})
    # Set on the job template (not in the survey): run on the inventory's clusters, not on localhost.
    extravars['incoplax_hosts'] = 'clusters'

    slices, counters = {}, {}
    for number in (1, 2):
        inventory = awx_inventory(hosts, slice_number=number, slice_count=2)
        job = awx_jobs.run(extravars, inventory=inventory, ident='slice%d' % number,
                           job_template='Incoplax forced logout (slice %d of 2)' % number)
        job.assert_successful()
        slices[number] = (set(inventory['clusters']['hosts']), job)
        # Request counts only: busy_seconds and in_flight can still move for a moment after the last answer.
        counters[number] = {name: request_counts(emulators[name]) for name in CLUSTERS}

    # AWX's split: slice 1 gets cluster-a and cluster-c, slice 2 cluster-b.
    assert slices[1][0] == {'cluster-a', 'cluster-c'}
    assert slices[2][0] == {'cluster-b'}
    for number, (clusters, job) in slices.items():
        assert job.hosts() - {'localhost'} == clusters, job.hosts()

    # Each cluster was handled by exactly one job: no request at all before its slice, none after it.
    for name in CLUSTERS:
        mine = 1 if name in slices[1][0] else 2
        first, second = counters[1][name], counters[2][name]
        if mine == 1:
            assert first['POST'] == len(TARGETS) and first['DELETE'] == 0, (name, first)
            assert second == first, (name, 'slice 2 sent requests to a cluster of slice 1', first, second)
        else:
            assert first['total'] == 0, (name, 'slice 1 sent requests to a cluster of slice 2', first)
            assert second['POST'] == len(TARGETS) and second['DELETE'] == 0, (name, second)
        logins = emulators[name].logins()
        assert not TARGETS & set(logins), (name, logins)
        assert set(logins) == {'admin', 'bob', 'breakglass'}, (name, logins)

    # Each slice's artifacts are its own totals.
    for number, (clusters, job) in slices.items():
        totals = job.artifacts['forced_logout']
        assert totals['clusters'] == len(clusters), totals
        assert totals['closed'] == totals['before'] == SESSIONS_PER_CLUSTER * len(clusters), totals
        assert totals['users'] == len(TARGETS) * len(clusters), totals
        assert totals['ok'] is True and totals['failed_clusters'] == [] and totals['remaining'] == 0, totals

    # The clusters' tokens live in the inventory: they must not show in any job output or artifact.
    for _clusters, job in slices.values():
        for host in hosts.values():
            token = host['incoplax_connection']['token']
            assert token not in job.stdout and token not in json.dumps(job.events)
            assert not [name for name, data in job.artifact_files().items() if token.encode() in data]
