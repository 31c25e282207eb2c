# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The job templates of the AWX guide run as AWX runs them: ansible-runner, credential injection, survey answers.

The forced logout job talks HTTPS to an emulator whose certificate is signed by nobody the system knows: it only
works through the CA bundle of the credential, injected as a file. The session audit job uses a user name and
password credential. Neither secret may show anywhere but in the runner's ``command`` artifact, which records the
job's environment by design (AWX keeps it private; see docs/docsite/rst/awx.rst).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import stat
import subprocess

import pytest

from awx_support import DOMAIN, survey, survey_extra_vars

TOKEN = 'tok-AWX-5e3b9d17c2a04f68b1'
USERNAME = 'auditor'
PASSWORD = 'pw-AWX-c81f2e4a97d05b36'
TARGETS = {'jdoe', 'mallory'}
KEPT = {'admin', 'bob', 'breakglass'}


@pytest.fixture(scope='module')
def tls_cert(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    openssl = shutil.which('openssl')
    if openssl is None:
        pytest.fail('the openssl CLI is needed to make the test certificate', pytrace=False)
    base = tmp_path_factory.mktemp('tls')
    cert, key = str(base / 'cert.pem'), str(base / 'key.pem')
    subprocess.run([openssl, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
                    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1'], check=True, capture_output=True)
    return cert, key


def assert_secret_hidden(job, secret):
    """``secret`` is in no job event, not in stdout and in no artifact but ``command`` (the job's environment)."""
    assert secret not in job.stdout
    assert secret not in (job.runner_output or '')
    assert secret not in json.dumps(job.events)
    files = job.artifact_files()
    assert 'stdout' in files and any(name.startswith('job_events') for name in files), sorted(files)
    leaked = sorted(name for name, data in files.items() if secret.encode() in data and name != 'command')
    assert not leaked, 'the secret is in the artifacts %s' % leaked


def test_forced_logout_job_template(awx_jobs, start_emulator, fixture_file, tls_cert):
    cert, key = tls_cert
    emulator = start_emulator('--fixture', fixture_file, '--token', TOKEN, '--tls-cert', cert, '--tls-key', key)
    assert emulator.url.startswith('https://')
    with open(cert) as handle:
        ca_bundle = handle.read()
    answers = {'forced_logout_users': 'jdoe, mallory', 'forced_logout_domain': DOMAIN,
               'forced_logout_protected_users': 'breakglass', 'forced_logout_ticket': 'INC-4242'}
    extravars = survey_extra_vars(survey('forced_logout'), answers)
    credential = {'url': emulator.url, 'token': TOKEN, 'skip_tls_verify': False, 'ca_bundle': ca_bundle}
    job = awx_jobs.run(extravars, credential=credential, verbosity=3)
    job.assert_successful()

    # The credential's CA bundle went to a private file that INCOPLAX_CA_PATH names.
    with open(os.path.join(job.private_data_dir, 'env', 'envvars')) as handle:
        envvars = json.load(handle)
    ca_path = envvars['INCOPLAX_CA_PATH']
    assert os.path.dirname(ca_path) == os.path.join(job.private_data_dir, 'env')
    assert stat.S_IMODE(os.stat(ca_path).st_mode) == 0o600
    with open(ca_path) as handle:
        assert handle.read() == ca_bundle

    # What AWX keeps as the job's artifacts, for workflow conditions.
    totals = job.artifacts['forced_logout']
    assert totals['ok'] is True, totals
    assert totals['failed_clusters'] == [], totals
    assert totals['clusters'] == 1
    assert totals['users'] == 2
    assert totals['before'] == totals['closed'] == 5, totals
    assert totals['remaining'] == 0
    assert totals['check_mode'] is False
    assert totals['ticket'] == 'INC-4242'

    # The platform: every session of the targets is gone, nobody else's; one logout request per target.
    logins = emulator.logins()
    assert not TARGETS & set(logins), logins
    assert set(logins) == KEPT
    counters = emulator.counters()
    assert counters['POST'] == 2 and counters['DELETE'] == 0, counters

    assert_secret_hidden(job, TOKEN)
    # The check is not vacuous: the environment of the job is recorded in the command artifact.
    assert TOKEN.encode() in job.artifact_files()['command']


def test_session_audit_job_template_basic_auth(awx_jobs, start_emulator, fixture_file, tmp_path):
    emulator = start_emulator('--fixture', fixture_file, '--username', USERNAME, '--password', PASSWORD)
    report_dir = str(tmp_path / 'reports')
    answers = {'session_audit_report_dir': report_dir, 'session_audit_report_name': 'audit',
               'session_audit_privileged_users': 'admin, breakglass', 'session_audit_max_sessions_per_user': 2}
    extravars = survey_extra_vars(survey('session_audit'), answers)
    credential = {'url': emulator.url, 'username': USERNAME, 'password': PASSWORD, 'skip_tls_verify': False}
    job = awx_jobs.run(extravars, playbook='session_audit.yml', credential=credential,
                       job_template='Incoplax session audit')
    job.assert_successful()

    counts = job.artifacts['session_audit']
    assert counts['privileged_sessions'] == 2, counts
    assert counts['users_over_limit'] == 1, counts
    assert sorted(os.listdir(report_dir)) == ['audit.csv', 'audit.json', 'audit.md']
    counters = emulator.counters()
    assert counters['GET'] >= 1 and counters['POST'] == 0 and counters['DELETE'] == 0, counters
    assert_secret_hidden(job, PASSWORD)
