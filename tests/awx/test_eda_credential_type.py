# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""extensions/eda/credential_type.yml: the EDA controller credential type injects exactly what the modules read.

Its injectors are rendered for sample credentials (jinja2 sandbox, an unset input undefined, an unset boolean
false, each file injector written to a file named by ``eda.filename.<name>``), and the variables they set are
compared with the INCOPLAX_* fallbacks of CONNECTION_ARGUMENT_SPEC (plugins/module_utils/_args.py); the inputs
match those of the AWX credential type.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import types

import pytest

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.incoplax.platform.plugins.module_utils._args import CONNECTION_ARGUMENT_SPEC

from awx_support import ROOT, credential_type, load_yaml

EDA_TYPE = os.path.join(ROOT, 'extensions', 'eda', 'credential_type.yml')


def module_env_vars():
    """The variable each connection option falls back to, from the modules' own argument spec."""
    return {name: option['fallback'][1][0] for name, option in CONNECTION_ARGUMENT_SPEC.items() if 'fallback' in option}


def eda_inject(cred_type, inputs, directory, undefined=None):
    fields = cred_type['inputs']['fields']
    namespace = {name: value for name, value in inputs.items() if isinstance(value, bool) or value}
    for field in fields:
        if field.get('type') == 'boolean' and field['id'] not in inputs:
            namespace[field['id']] = False
    sandbox = ImmutableSandboxedEnvironment(**({'undefined': undefined} if undefined else {}))
    files = {}
    for label, template in cred_type['injectors'].get('file', {}).items():
        assert label.startswith('template.'), label
        path = os.path.join(str(directory), label.split('.', 1)[1])
        with open(path, 'w') as out:
            out.write(sandbox.from_string(template).render(**namespace))
        files[label.split('.', 1)[1]] = path
    namespace['eda'] = types.SimpleNamespace(filename=types.SimpleNamespace(**files))
    env = {name: sandbox.from_string(template).render(**namespace) for name, template in cred_type['injectors']['env'].items()}
    extra_vars = {name: sandbox.from_string(template).render(**namespace)
                  for name, template in cred_type['injectors'].get('extra_vars', {}).items()}
    return env, extra_vars


def test_inputs_are_those_of_the_awx_credential_type():
    eda, awx = load_yaml(EDA_TYPE), credential_type()

    def without_help(fields):
        return [{key: value for key, value in field.items() if key != 'help_text'} for field in fields]
    assert without_help(eda['inputs']['fields']) == without_help(awx['inputs']['fields'])
    assert eda['inputs']['required'] == awx['inputs']['required'] == ['url']
    assert set(eda['injectors']) <= {'env', 'extra_vars', 'file'}
    for field in eda['inputs']['fields']:
        assert field.get('type', 'string') in ('string', 'boolean'), field  # EDA's input types
        if field['id'] in ('token', 'password'):
            assert field['secret'] is True


def test_the_injected_variables_are_exactly_the_modules_fallbacks(tmp_path):
    cred_type = load_yaml(EDA_TYPE)
    placeholders = {field['id']: (True if field.get('type') == 'boolean' else 'x') for field in cred_type['inputs']['fields']}
    env, extra_vars = eda_inject(cred_type, placeholders, tmp_path, undefined=StrictUndefined)
    assert set(env) == set(module_env_vars().values())
    assert not extra_vars
    assert not [name for name in env if name.upper().startswith('EDA_')]


@pytest.mark.parametrize('inputs, expected', [
    ({'url': 'https://p.example', 'token': 't0k'},
     {'INCOPLAX_URL': 'https://p.example', 'INCOPLAX_TOKEN': 't0k', 'INCOPLAX_USERNAME': '', 'INCOPLAX_PASSWORD': '',
      'INCOPLAX_CALLER': '', 'INCOPLAX_VALIDATE_CERTS': 'true', 'INCOPLAX_CA_PATH': ''}),
    ({'url': 'https://p.example', 'username': 'ops', 'password': 'pw', 'skip_tls_verify': True, 'caller': 'ops'},
     {'INCOPLAX_URL': 'https://p.example', 'INCOPLAX_TOKEN': '', 'INCOPLAX_USERNAME': 'ops', 'INCOPLAX_PASSWORD': 'pw',
      'INCOPLAX_CALLER': 'ops', 'INCOPLAX_VALIDATE_CERTS': 'false', 'INCOPLAX_CA_PATH': ''}),
    ({'url': 'https://p.example', 'token': 't0k', 'skip_tls_verify': False}, {'INCOPLAX_VALIDATE_CERTS': 'true'}),
])
def test_injection_for_sample_credentials(inputs, expected, tmp_path):
    env, _extra_vars = eda_inject(load_yaml(EDA_TYPE), inputs, tmp_path)
    assert {name: env[name] for name in expected} == expected


def test_a_ca_bundle_is_a_file_named_by_incoplax_ca_path(tmp_path):
    pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    env, _extra_vars = eda_inject(load_yaml(EDA_TYPE), {'url': 'https://p.example', 'token': 't', 'ca_bundle': pem}, tmp_path)
    assert env['INCOPLAX_CA_PATH'] and open(env['INCOPLAX_CA_PATH']).read() == pem
