# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The AWX-as-code playbooks of extensions/awx describe what the runner tests replay.

awx.awx is not installed here (the playbooks are linted with ``mock_modules``): their structure is checked
instead. The workflow runs plan, then an approval, then apply; the job templates use the project playbooks,
the surveys and the credential of this directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from awx_support import AWX_DIR, PROJECT_DIR, ROOT, load_yaml


def tasks_of(name):
    plays = load_yaml(os.path.join(AWX_DIR, name))
    assert len(plays) == 1 and plays[0]['hosts'] == 'localhost'
    return plays[0], plays[0]['tasks']


def module_of(task):
    return [key for key in task if key.startswith('awx.awx.')][0]


def test_workflow_is_plan_approval_apply():
    play, tasks = tasks_of('workflow_forced_logout.yml')
    templates = tasks[0]
    assert module_of(templates) == 'awx.awx.job_template'
    assert templates['loop'] == ['plan', 'apply']
    assert templates['awx.awx.job_template']['extra_vars'] == {'forced_logout_mode': '{{ item }}'}
    assert templates['awx.awx.job_template']['playbook'] == 'forced_logout.yml'
    assert templates['awx.awx.job_template']['name'] == 'Incoplax forced logout - {{ item }}'

    workflow = tasks[1]['awx.awx.workflow_job_template']
    nodes = {node['identifier']: node for node in workflow['workflow_nodes']}
    assert list(nodes) == ['plan', 'approve', 'apply']
    assert nodes['plan']['unified_job_template']['name'] == 'Incoplax forced logout - plan'
    assert nodes['plan']['related'] == {'success_nodes': [{'identifier': 'approve'}]}
    assert 'approval_node' in nodes['approve'] and 'unified_job_template' not in nodes['approve']
    assert nodes['approve']['approval_node']['timeout'] == '{{ incoplax_awx_approval_timeout }}'
    assert nodes['approve']['related'] == {'success_nodes': [{'identifier': 'apply'}]}
    assert nodes['apply']['unified_job_template']['name'] == 'Incoplax forced logout - apply'
    assert 'related' not in nodes['apply']
    # The workflow asks the forced logout survey once, without the mode that each node's template sets.
    assert workflow['survey_enabled'] is True
    assert "rejectattr('variable', 'equalto', 'forced_logout_mode')" in workflow['survey_spec']
    assert "'surveys/forced_logout.json'" in play['vars']['incoplax_awx_survey']


def test_job_templates_use_this_directory():
    for name in ('job_templates.yml', 'workflow_forced_logout.yml'):
        _play, tasks = tasks_of(name)
        for task in tasks:
            args = task[module_of(task)]
            if module_of(task) == 'awx.awx.job_template':
                assert os.path.isfile(os.path.join(PROJECT_DIR, args['playbook'])), args['playbook']
                assert args['credentials'] == ['{{ incoplax_awx_credential }}']
                assert args['execution_environment'] == '{{ incoplax_awx_execution_environment }}'
            if "'surveys/" in args.get('survey_spec', ''):
                path = args['survey_spec'].split("'surveys/")[1].split("'")[0]
                assert os.path.isfile(os.path.join(AWX_DIR, 'surveys', path)), path
    _play, tasks = tasks_of('job_templates.yml')
    assert {task['awx.awx.job_template']['playbook'] for task in tasks} == {'forced_logout.yml', 'session_audit.yml'}
    assert all(task['awx.awx.job_template']['survey_enabled'] is True for task in tasks)


def test_project_playbooks_import_the_collection_playbooks():
    for name in ('forced_logout', 'session_audit'):
        plays = load_yaml(os.path.join(PROJECT_DIR, '%s.yml' % name))
        assert plays == [{'name': plays[0]['name'], 'ansible.builtin.import_playbook': 'incoplax.platform.%s' % name}]
        assert os.path.isfile(os.path.join(ROOT, 'playbooks', '%s.yml' % name))


def test_lint_mocks_every_awx_module_used():
    used = set()
    for name in os.listdir(AWX_DIR):
        if name.endswith('.yml') and name != 'credential_type.yml':
            used.update(module_of(task) for task in tasks_of(name)[1])
    config = load_yaml(os.path.join(ROOT, '.ansible-lint'))
    assert used <= set(config.get('mock_modules', [])), sorted(used)
