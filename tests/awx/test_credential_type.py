# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""extensions/awx/credential_type.yml: valid for AWX, and injecting what the modules read.

AWX checks a custom credential type on save: the input fields' schema, and every injector template rendered
with StrictUndefined against placeholder values of the declared fields. The same checks run here, then the
injection itself (awx_support.awx_inject, AWX's rules) for token, basic and CA bundle credentials.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat

import pytest
import yaml

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from awx_support import AWX_DIR, ROOT, awx_inject, credential_type

FIELD_KEYS = {'id', 'label', 'type', 'format', 'choices', 'help_text', 'multiline', 'secret', 'ask_at_runtime', 'default'}
CUSTOM_KINDS = {'cloud', 'net'}


def module_env_vars():
    """The INCOPLAX_* variables the modules' connection options fall back to."""
    with open(os.path.join(ROOT, 'plugins', 'module_utils', '_args.py')) as handle:
        return set(re.findall(r"\['(INCOPLAX_[A-Z_]+)'\]", handle.read()))


def test_inputs_follow_awx_schema():
    cred_type = credential_type()
    assert cred_type['kind'] in CUSTOM_KINDS
    assert cred_type['name'] and cred_type['description']
    fields = cred_type['inputs']['fields']
    ids = [field['id'] for field in fields]
    assert len(ids) == len(set(ids)) and 'tower' not in ids
    for field in fields:
        assert set(field) <= FIELD_KEYS and {'id', 'label'} <= set(field), field
        assert re.match(r'^[a-zA-Z_]+[a-zA-Z0-9_]*$', field['id'])
        assert field.get('type', 'string') in ('string', 'boolean')
    assert set(cred_type['inputs']['required']) <= set(ids)
    by_id = {field['id']: field for field in fields}
    assert by_id['token'].get('secret') is True and by_id['password'].get('secret') is True
    assert by_id['skip_tls_verify']['type'] == 'boolean' and by_id['skip_tls_verify']['default'] is False
    assert by_id['ca_bundle'].get('multiline') is True
    # The caller names the account the credentials belong to: not a secret, injected as INCOPLAX_CALLER.
    assert by_id['caller'].get('type', 'string') == 'string' and not by_id['caller'].get('secret')
    assert cred_type['injectors']['env']['INCOPLAX_CALLER'] == '{{ caller }}'
    assert cred_type['inputs']['required'] == ['url']


def test_injectors_render_under_awx_validation():
    cred_type = credential_type()
    injectors = cred_type['injectors']
    assert set(injectors) <= {'file', 'env', 'extra_vars'}
    assert list(injectors['file']) == ['template']
    namespace = {field['id']: 'EXAMPLE' for field in cred_type['inputs']['fields']}
    namespace['tower'] = type('Tower', (), {'filename': 'EXAMPLE_FILENAME'})()
    strict = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind in ('file', 'env'):
        for name, template in injectors[kind].items():
            strict.from_string(template).render(**namespace)
            if kind == 'env':
                assert re.match(r'^[A-Z_][A-Z0-9_]*$', name) and not name.startswith('ANSIBLE_'), name
    # Every connection variable the modules read, and nothing else.
    assert set(injectors['env']) == module_env_vars()
    assert 'extra_vars' not in injectors, 'a credential must not override the clusters\' incoplax_connection host vars'


@pytest.mark.parametrize('inputs, expected', [
    ({'url': 'https://p.example.com', 'token': 'tok-1', 'skip_tls_verify': False},
     {'INCOPLAX_URL': 'https://p.example.com', 'INCOPLAX_TOKEN': 'tok-1', 'INCOPLAX_USERNAME': '', 'INCOPLAX_PASSWORD': '',
      'INCOPLAX_CALLER': '', 'INCOPLAX_VALIDATE_CERTS': 'true', 'INCOPLAX_CA_PATH': ''}),
    ({'url': 'https://p.example.com', 'username': 'ops', 'password': 'pw-1', 'skip_tls_verify': True},
     {'INCOPLAX_URL': 'https://p.example.com', 'INCOPLAX_TOKEN': '', 'INCOPLAX_USERNAME': 'ops', 'INCOPLAX_PASSWORD': 'pw-1',
      'INCOPLAX_CALLER': '', 'INCOPLAX_VALIDATE_CERTS': 'false', 'INCOPLAX_CA_PATH': ''}),
    ({'url': 'https://p.example.com', 'token': 'tok-1', 'caller': 'svc-ansible', 'skip_tls_verify': False},
     {'INCOPLAX_URL': 'https://p.example.com', 'INCOPLAX_TOKEN': 'tok-1', 'INCOPLAX_USERNAME': '', 'INCOPLAX_PASSWORD': '',
      'INCOPLAX_CALLER': 'svc-ansible', 'INCOPLAX_VALIDATE_CERTS': 'true', 'INCOPLAX_CA_PATH': ''}),
], ids=['token', 'basic', 'token with caller'])
def test_injection_without_ca_bundle(tmp_path, inputs, expected):
    # AWX sets every env injector; the empty CA bundle file it writes anyway is not pointed to.
    assert awx_inject(credential_type(), inputs, str(tmp_path)) == expected


def test_injection_of_the_ca_bundle(tmp_path):
    bundle = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
    inputs = {'url': 'https://p.example.com', 'token': 't', 'skip_tls_verify': False, 'ca_bundle': bundle}
    env = awx_inject(credential_type(), inputs, str(tmp_path))
    path = env['INCOPLAX_CA_PATH']
    assert os.path.dirname(path) == str(tmp_path / 'env')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as handle:
        assert handle.read() == bundle


def test_an_unset_tls_box_means_verify(tmp_path):
    """AWX renders a boolean never set as false: the input is negative so that false means verify."""
    env = awx_inject(credential_type(), {'url': 'https://p.example.com', 'token': 't'}, str(tmp_path))
    assert env['INCOPLAX_VALIDATE_CERTS'] == 'true'


def test_create_credential_type_playbook_uses_the_file():
    with open(os.path.join(AWX_DIR, 'create_credential_type.yml')) as handle:
        plays = yaml.safe_load(handle)
    assert len(plays) == 1
    source = plays[0]['vars']['incoplax_awx_credential_type']
    assert "lookup('ansible.builtin.file', 'credential_type.yml')" in source and 'from_yaml' in source
    tasks = plays[0]['tasks']
    assert [list(task)[1] for task in tasks] == ['awx.awx.credential_type']
    args = tasks[0]['awx.awx.credential_type']
    for key in ('name', 'description', 'kind', 'inputs', 'injectors'):
        assert args[key] == '{{ incoplax_awx_credential_type.%s }}' % key
    assert args['state'] == 'present'
