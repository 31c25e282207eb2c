# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The plan, approve, apply workflow (extensions/awx/workflow_forced_logout.yml) replayed job by job.

Job 1 is the plan node: the workflow's survey answers plus ``forced_logout_mode: plan`` (its job template's extra
vars). Its ``set_stats`` data is read from the runner's artifacts, as AWX does. Job 2 is the apply node after the
approval: AWX passes the artifacts of the jobs before it as extra vars, under the workflow's own extra vars (the
survey answers), over the job template's ``forced_logout_mode: apply``. Apply must close exactly the approved
plan, and refuse - with a clear message, before any POST or DELETE - anything else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from awx_support import AwxJobs, DOMAIN, Emulator, base_fixture, session, survey, survey_extra_vars

TOKEN = 'tok-plan-2b8e61f0d9a4c375'
TARGETS = {'jdoe', 'mallory'}
ANSWERS = {'forced_logout_users': 'mallory, jdoe', 'forced_logout_domain': DOMAIN,
           'forced_logout_protected_users': 'breakglass', 'forced_logout_ticket': 'INC-9001'}


def workflow_survey():
    """The workflow's survey: the job template's one without the mode, which each node's template sets."""
    spec = survey('forced_logout')
    return dict(spec, spec=[question for question in spec['spec'] if question['variable'] != 'forced_logout_mode'])


def node_extravars(mode, answers, artifacts=None):
    """A workflow node's extra vars, by AWX's precedence: template extra vars < ancestor artifacts < workflow vars."""
    extravars = {'forced_logout_mode': mode}
    extravars.update(artifacts or {})
    extravars.update(survey_extra_vars(workflow_survey(), answers))
    return extravars


class Planned:
    """A dedicated emulator loaded with base_fixture(), and the artifacts of the plan job run against it."""

    def __init__(self, emulator, jobs, plan_job):
        self.emulator = emulator
        self.jobs = jobs
        self.plan_job = plan_job
        self.artifacts = plan_job.artifacts

    def credential(self):
        return {'url': self.emulator.url, 'token': TOKEN, 'skip_tls_verify': False}

    def apply(self, artifacts=None, answers=None):
        """Back to the planned state (fresh counters), then run the apply node."""
        self.emulator.reset()
        extravars = node_extravars('apply', dict(ANSWERS, **(answers or {})), self.artifacts if artifacts is None else artifacts)
        return self.jobs.run(extravars, credential=self.credential(), ident='apply',
                             job_template='Incoplax forced logout - apply')


@pytest.fixture(scope='module')
def planned(tmp_path_factory, collections_path, ansible_home, fixture_file, emulator_log_dir):
    emulator = Emulator(['--fixture', fixture_file, '--token', TOKEN], log_dir=emulator_log_dir)
    try:
        jobs = AwxJobs(str(tmp_path_factory.mktemp('plan_apply')), collections_path, ansible_home)
        plan_job = jobs.run(node_extravars('plan', ANSWERS), credential={'url': emulator.url, 'token': TOKEN, 'skip_tls_verify': False},
                            ident='plan', job_template='Incoplax forced logout - plan')
        plan_job.assert_successful()
        yield Planned(emulator, jobs, plan_job)
    finally:
        emulator.stop()


def assert_nothing_changed(emulator):
    counters = emulator.counters()
    assert counters['POST'] == 0 and counters['DELETE'] == 0, counters
    assert TARGETS <= set(emulator.logins())


def test_plan_publishes_the_plan_and_its_hash(planned):
    artifacts = planned.artifacts
    plan, digest = artifacts['forced_logout_plan'], artifacts['forced_logout_plan_hash']
    assert plan['users'] == ['jdoe', 'mallory']
    assert plan['domain'] == DOMAIN
    assert plan['protected_users'] == ['breakglass']
    assert plan['sites'] == 'all'
    assert plan['session_count'] == 5
    assert {entry['login'] for entry in plan['sessions']} == TARGETS
    assert len(digest) == 64 and int(digest, 16) >= 0
    totals = artifacts['forced_logout']
    assert totals['check_mode'] is True and totals['ok'] is True and totals['closed'] == 5, totals
    # A plan changes nothing.
    assert_nothing_changed(planned.emulator)


def test_apply_closes_the_approved_plan(planned):
    job = planned.apply()
    job.assert_successful()
    totals = job.artifacts['forced_logout']
    assert totals['ok'] is True and totals['check_mode'] is False and totals['closed'] == 5, totals
    logins = planned.emulator.logins()
    assert not TARGETS & set(logins), logins
    assert set(logins) == {'admin', 'bob', 'breakglass'}
    assert planned.emulator.counters()['POST'] == len(TARGETS)


def _tampered(artifacts):
    tampered = copy.deepcopy(artifacts)
    plan = tampered['forced_logout_plan']
    plan['sessions'] = [entry for entry in plan['sessions'] if entry['login'] != 'mallory' or entry['site'] != 'west']
    plan['session_count'] -= 1
    return tampered


REFUSALS = {
    'wrong hash': (lambda artifacts: dict(artifacts, forced_logout_plan_hash='0' * 64), {},
                   "does not match the approved hash"),
    'tampered plan': (_tampered, {}, "does not match the approved hash"),
    'different users': (None, {'forced_logout_users': 'jdoe'}, 'the targets differ from the approved plan'),
    'different sites': (None, {'forced_logout_sites': 'east'}, 'differ from the approved plan'),
}


@pytest.mark.parametrize('case', sorted(REFUSALS))
def test_apply_refuses(planned, case):
    alter, answers, message = REFUSALS[case]
    artifacts = alter(planned.artifacts) if alter else None
    job = planned.apply(artifacts=artifacts, answers=answers)
    assert job.status == 'failed', job.describe()
    assert any(message in ' '.join(text.split()) and 'refused' in text for text in job.failure_messages()), (message, job.failure_messages())
    assert_nothing_changed(planned.emulator)
    assert job.artifacts['forced_logout']['ok'] is False


def test_apply_refuses_more_sessions_than_planned_plus_margin(planned):
    margin = 10
    assert survey_extra_vars(workflow_survey(), ANSWERS)['forced_logout_plan_margin'] == margin
    more = base_fixture()
    more['sessions'] += [session('s-jdoe-new-%02d' % number, 'jdoe', 'east') for number in range(margin + 1)]
    planned.emulator.load(more)
    job = planned.jobs.run(node_extravars('apply', ANSWERS, planned.artifacts), credential=planned.credential(),
                           ident='apply', job_template='Incoplax forced logout - apply')
    assert job.status == 'failed', job.describe()
    expected = 'refused: %d sessions would be closed now, more than the 5 planned plus the margin of %d' % (5 + margin + 1, margin)
    assert any(expected in ' '.join(text.split()) for text in job.failure_messages()), (expected, job.failure_messages())
    counters = planned.emulator.counters()
    assert counters['POST'] == 0 and counters['DELETE'] == 0, counters
    assert len({entry['session_id'] for entry in planned.emulator.state()['sessions'] if entry['login'] == 'jdoe'}) == 3 + margin + 1
