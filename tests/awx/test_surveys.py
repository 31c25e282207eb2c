# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The survey specs of extensions/awx/surveys agree with the roles' meta/argument_specs.yml.

Every survey variable is an option of the role, with a survey type that produces a value the option's type
accepts (AWX has no list type: a list is a comma-separated text answer, which Ansible's list conversion splits);
required options without default are asked (or come from the credential), defaults and choices agree, and what
AWX would send for the defaults plus the required answers passes the role's own argument validation.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from awx_support import ROOT, SurveyError, load_yaml, survey, survey_extra_vars

SURVEYS = {'forced_logout': 'forced_logout', 'session_audit': 'session_audit'}  # survey name: role name
# Options that come from the "Incoplax platform API" credential (INCOPLAX_* environment), never from a survey.
FROM_CREDENTIAL = {'incoplax_connection'}
# Survey types that give a value the option's type takes.
COMPATIBLE = {
    'str': {'text', 'textarea', 'password', 'multiplechoice'},
    'path': {'text', 'textarea'},
    'int': {'integer'},
    'float': {'float', 'integer'},
    'bool': {'multiplechoice'},
    'list': {'text', 'textarea', 'multiselect'},
    'raw': {'text', 'textarea', 'multiplechoice', 'multiselect', 'integer'},
}
QUESTION_KEYS = {'question_name', 'question_description', 'required', 'type', 'variable', 'min', 'max', 'default',
                 'choices', 'new_question'}
# A minimal valid answer for each required question without a default.
SAMPLE_ANSWERS = {'forced_logout_users': 'jdoe, mallory', 'forced_logout_domain': 'master.domain'}


def role_options(role):
    return load_yaml(os.path.join(ROOT, 'roles', role, 'meta', 'argument_specs.yml'))['argument_specs']['main']['options']


def validator_spec(options):
    """The argument spec options as ArgumentSpecValidator takes them (documentation keys dropped)."""
    keep = ('type', 'elements', 'required', 'default', 'choices', 'no_log')
    spec = {}
    for name, option in options.items():
        spec[name] = {key: option[key] for key in keep if key in option}
        if 'options' in option:
            spec[name]['options'] = validator_spec(option['options'])
    return spec


def converted(option, value):
    """``value`` as the role's argument validation turns it, for option ``option``."""
    result = ArgumentSpecValidator({'x': validator_spec({'x': option})['x']}).validate({'x': value})
    assert not result.error_messages, result.error_messages
    return result.validated_parameters['x']


@pytest.mark.parametrize('name', sorted(SURVEYS))
def test_survey_is_a_valid_awx_survey_spec(name):
    spec = survey(name)
    assert spec['name'] and spec['description'] and spec['spec']
    variables = [question['variable'] for question in spec['spec']]
    assert len(variables) == len(set(variables))
    for question in spec['spec']:
        assert set(question) <= QUESTION_KEYS and {'question_name', 'required', 'type', 'variable'} <= set(question), question
        assert re.match(r'^[a-zA-Z_][a-zA-Z0-9_]*$', question['variable'])
        assert isinstance(question['required'], bool)
        if question['type'] in ('multiplechoice', 'multiselect'):
            assert question['choices'] and all(isinstance(choice, str) for choice in question['choices'])
        if 'default' in question:
            # A default is itself a valid answer (AWX drops a default it would refuse).
            survey_extra_vars({'spec': [question]}, {question['variable']: question['default']})
    with pytest.raises(SurveyError):
        survey_extra_vars(spec, {'no_such_question': 'x'})


@pytest.mark.parametrize('name', sorted(SURVEYS))
def test_survey_agrees_with_the_argument_spec(name):
    options = role_options(SURVEYS[name])
    questions = {question['variable']: question for question in survey(name)['spec']}
    for variable, question in questions.items():
        assert variable in options, '%s: %s is no option of the role' % (name, variable)
        option = options[variable]
        kind = option.get('type', 'str')
        assert question['type'] in COMPATIBLE[kind], '%s: %s is a %s, not a %s question' % (name, variable, kind, question['type'])
        if option.get('required'):
            assert question['required'], '%s: %s is required by the role' % (name, variable)
        elif question['required']:
            assert 'default' in question, '%s: %s is optional for the role: a required question needs a default' % (name, variable)
        if 'default' in option and 'default' in question:
            assert converted(option, question['default']) == option['default'], (name, variable, question['default'], option['default'])
        if 'choices' in question:
            assert 'choices' in option and set(question['choices']) <= set(option['choices']), (name, variable)
            assert question.get('default', option.get('default')) in question['choices']
        if 'choices' in option:
            assert question['type'] == 'multiplechoice' and 'choices' in question, (name, variable)
        if kind == 'list':
            # Ansible's list conversion splits a text answer on commas (the roles also trim each item).
            assert converted(option, 'a,b') == ['a', 'b']
    for variable, option in options.items():
        if option.get('required') and 'default' not in option:
            assert variable in questions or variable in FROM_CREDENTIAL, '%s: required %s is not asked' % (name, variable)
    for variable in FROM_CREDENTIAL & set(options):
        assert variable not in questions
    with open(os.path.join(ROOT, 'docs', 'docsite', 'rst', 'awx.rst')) as handle:
        guide = handle.read()
    for variable in FROM_CREDENTIAL:
        assert variable in guide, 'docs/docsite/rst/awx.rst must say that %s comes from the credential' % variable


@pytest.mark.parametrize('name', sorted(SURVEYS))
def test_survey_answers_pass_the_role_validation(name, tmp_path):
    questions = survey(name)['spec']
    answers = {question['variable']: SAMPLE_ANSWERS.get(question['variable'], str(tmp_path))
               for question in questions if question['required'] and 'default' not in question}
    extra_vars = survey_extra_vars(survey(name), answers)
    result = ArgumentSpecValidator(validator_spec(role_options(SURVEYS[name]))).validate(extra_vars)
    assert not result.error_messages, result.error_messages
    assert not result.unsupported_parameters
