# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""extensions/eda/rulebooks/siem_containment_awx.yml launches the AWX job template with what its survey accepts.

No AWX is needed: the rulebook's two steps (accept the alert, launch the job template) are rendered with
ansible-rulebook's own code (``substitute_variables``: jinja2's NativeEnvironment with StrictUndefined, the way
it renders action arguments), then ansible-rulebook's ``collect_extra_vars`` adds (or not) ``ansible_eda``, and
the result goes through AWX's survey rules (awx_support.survey_extra_vars) for the job template's survey.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import types

import pytest

from hypothesis import given, settings, strategies as st

from ansible_rulebook.action.helper import Helper
from ansible_rulebook.util import substitute_variables
from ansible_rulebook.validators import Validate

from ansible_collections.incoplax.platform.plugins.plugin_utils._names import split_names

from awx_support import AWX_DIR, ROOT, SurveyError, load_yaml, survey, survey_extra_vars

RULEBOOK = os.path.join(ROOT, 'extensions', 'eda', 'rulebooks', 'siem_containment_awx.yml')
VARIABLES = {
    'webhook_port': 5000, 'webhook_token': 'webhook-T0ken-8c1f', 'incoplax_domain': 'master.domain',
    'contain_severities': ['high', 'critical'], 'plan_threshold': 3, 'protected_users': ['admin', 'breakglass'],
    'max_sessions': 50, 'report_dir': '/var/lib/incoplax', 'notify_url': 'http://127.0.0.1:1/notify',
    'notify_token': 'notify-T0ken-42aa', 'allow_remote_shutdown': False, 'awx_organization': 'Incident response',
}
ALERT = {'alert_id': 'SIEM-4711', 'severity': 'high', 'accounts': ['jdoe', ' ASmith '], 'domain': 'master.domain'}


def rules():
    return {rule['name']: rule for rule in load_yaml(RULEBOOK)[0]['rules']}


def launch_action():
    actions = [rule['action']['run_job_template'] for rule in rules().values() if 'run_job_template' in rule['action']]
    assert len(actions) == 1
    return actions[0]


def job_template_names():
    playbook = load_yaml(os.path.join(AWX_DIR, 'job_templates.yml'))
    return {task['awx.awx.job_template']['name'] for task in playbook[0]['tasks'] if 'awx.awx.job_template' in task}


def render(alert, variables=None):
    """(action arguments, extra vars sent to AWX) for ``alert``, as ansible-rulebook computes them."""
    variables = dict(VARIABLES if variables is None else variables)
    accept = rules()['Accept an alert once per alert id']['action']['post_event']
    posted = substitute_variables(accept, dict(variables, event={'payload': alert}))['event']
    action = substitute_variables(launch_action(), dict(variables, event=posted))
    helper = types.SimpleNamespace(metadata=types.SimpleNamespace(rule_set='r', rule='c'),
                                   control=types.SimpleNamespace(variables={'event': posted}))
    extra_vars = Helper.collect_extra_vars(helper, action['job_args']['extra_vars'], action.get('include_events', True))
    return action, extra_vars


def test_the_launch_names_a_job_template_of_extensions_awx():
    Validate.rulebook(load_yaml(RULEBOOK))  # ansible-rulebook's own schema check, as at start
    action = launch_action()
    assert action['name'] == 'Incoplax forced logout' and action['name'] in job_template_names()
    assert action['include_events'] is False
    assert action['post_events'] is True
    rendered, _extra_vars = render(ALERT)
    assert rendered['organization'] == 'Incident response'


def test_the_payload_is_accepted_by_the_survey():
    spec = survey('forced_logout')
    _action, extra_vars = render(ALERT)
    assert 'ansible_eda' not in extra_vars
    questions = {question['variable']: question for question in spec['spec']}
    assert set(extra_vars) <= set(questions)
    for variable, value in extra_vars.items():
        kind = questions[variable]['type']
        assert isinstance(value, int if kind == 'integer' else str), (variable, value)
    launched = survey_extra_vars(spec, extra_vars)
    assert {variable for variable, question in questions.items() if question['required']} <= set(launched)
    assert launched['forced_logout_users'] == 'jdoe,ASmith'
    assert split_names(launched['forced_logout_users'], 'forced_logout_users') == ['jdoe', 'ASmith']
    assert launched['forced_logout_protected_users'] == 'admin,breakglass'
    assert (launched['forced_logout_ticket'], launched['forced_logout_domain']) == ('SIEM-4711', 'master.domain')
    assert (launched['forced_logout_mode'], launched['forced_logout_max_sessions']) == ('run', 50)


def test_events_included_would_be_refused():
    """The reason for include_events: false: ansible_eda is no survey question, and AWX refuses it."""
    action, _extra_vars = render(ALERT)
    helper = types.SimpleNamespace(metadata=types.SimpleNamespace(rule_set='r', rule='c'),
                                   control=types.SimpleNamespace(variables={'event': {'x': 1}}))
    with_events = Helper.collect_extra_vars(helper, action['job_args']['extra_vars'], True)
    assert 'ansible_eda' in with_events
    with pytest.raises(SurveyError, match='ansible_eda'):
        survey_extra_vars(survey('forced_logout'), with_events)
    # A list of accounts, as siem_containment gives the playbook, is refused by the text question too.
    with pytest.raises(SurveyError, match='forced_logout_users'):
        survey_extra_vars(survey('forced_logout'), dict(action['job_args']['extra_vars'], forced_logout_users=['jdoe']))


def test_a_large_alert_only_plans_and_the_domain_defaults():
    alert = {'alert_id': 'A-2', 'severity': 'critical', 'accounts': ['a', 'b', 'c', 'd']}
    _action, extra_vars = render(alert)
    launched = survey_extra_vars(survey('forced_logout'), extra_vars)
    assert (launched['forced_logout_mode'], launched['forced_logout_domain']) == ('plan', 'master.domain')


def test_no_protected_account_is_an_empty_answer():
    _action, extra_vars = render(ALERT, dict(VARIABLES, protected_users=[]))
    launched = survey_extra_vars(survey('forced_logout'), extra_vars)
    assert launched['forced_logout_protected_users'] == ''
    assert split_names('', 'forced_logout_protected_users', allow_empty=True) == []


NAME = st.one_of(
    st.integers(min_value=0, max_value=10 ** 12),
    st.text(st.characters(max_codepoint=0xFFFF, blacklist_categories=('Cs', 'Cc'), blacklist_characters=',;'),
            min_size=1, max_size=12)
    .filter(lambda name: name.strip()),
    st.sampled_from(['4711', '1.5', 'True', 'None', '[1]', '(1)', "it's", '"q"', '{{ x }}', "{'a': 1}"]),
)


@settings(max_examples=60, deadline=None)
@given(accounts=st.lists(NAME, min_size=1, max_size=3), alert_id=NAME, protected=st.lists(NAME, max_size=2))
def test_any_alert_renders_to_survey_strings_that_split_back(accounts, alert_id, protected):
    """NativeEnvironment turns "4711" into 4711 and "1,2" into (1, 2): every text answer must stay a string.

    Names are in the Basic Multilingual Plane: tojson escapes other characters as surrogate pairs, which the
    rendering does not join again (a limitation the rulebook states).
    """
    alert = {'alert_id': alert_id, 'severity': 'high', 'accounts': accounts}
    _action, extra_vars = render(alert, dict(VARIABLES, protected_users=protected))
    launched = survey_extra_vars(survey('forced_logout'), extra_vars)
    assert launched['forced_logout_ticket'] == str(alert_id)
    assert split_names(launched['forced_logout_users'], 'forced_logout_users') == [str(name).strip() for name in accounts]
    assert split_names(launched['forced_logout_protected_users'], 'x', allow_empty=True) == [str(name).strip() for name in protected]
