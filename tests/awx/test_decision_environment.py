# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""extensions/eda/decision-environment.yml: ``ansible-builder create`` makes a complete build context, offline.

As the EDA guide (docs/docsite/rst/eda.rst) tells users: build the collection tarball at the collection root, then
``ansible-builder create -f extensions/eda/decision-environment.yml``. The context must carry the collection (the
tarball, named in the Galaxy requirements), ansible-rulebook and requests, on a decision environment base image.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import sys
import tarfile

import yaml

from awx_support import ROOT, clean_environ, load_yaml, run_command as run

BIN = os.path.dirname(sys.executable)
DEFINITION = os.path.join('extensions', 'eda', 'decision-environment.yml')


def test_ansible_builder_create_offline(tmp_path):
    galaxy = load_yaml(os.path.join(ROOT, 'galaxy.yml'))
    tarball = '%s-%s-%s.tar.gz' % (galaxy['namespace'], galaxy['name'], galaxy['version'])
    definition = load_yaml(os.path.join(ROOT, DEFINITION))
    assert definition['version'] == 3
    assert 'ansible-rulebook' in definition['images']['base_image']['name']
    assert {'name': 'collections/%s' % tarball, 'type': 'file'} in definition['dependencies']['galaxy']['collections'], (
        '%s must install %s (the version of galaxy.yml)' % (DEFINITION, tarball))

    env = clean_environ({'ANSIBLE_HOME': str(tmp_path / 'ansible-home'), 'ANSIBLE_NOCOLOR': '1'})
    source = tmp_path / 'checkout'
    (source / 'extensions').mkdir(parents=True)
    shutil.copytree(os.path.join(ROOT, 'extensions', 'eda'), str(source / 'extensions' / 'eda'))
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', ROOT, '--output-path', str(source)], str(source), env)
    assert (source / tarball).is_file()

    context = tmp_path / 'context'
    run([os.path.join(BIN, 'ansible-builder'), 'create', '-f', DEFINITION, '-c', str(context),
         '--output-filename', 'Containerfile'], str(source), env)
    build = context / '_build'
    containerfile = (context / 'Containerfile').read_text()
    assert 'ARG EE_BASE_IMAGE="%s"' % definition['images']['base_image']['name'] in containerfile

    # The collection: the tarball is in the context and the Galaxy requirements install it.
    with tarfile.open(str(build / 'collections' / tarball)) as archive:
        manifest = json.load(archive.extractfile('MANIFEST.json'))['collection_info']
    assert (manifest['namespace'], manifest['name'], manifest['version']) == (galaxy['namespace'], galaxy['name'], galaxy['version'])
    assert manifest['version'] in definition['additional_build_files'][0]['src']
    requirements = yaml.safe_load((build / 'requirements.yml').read_text())
    assert requirements['collections'] == [{'name': 'collections/%s' % tarball, 'type': 'file'}]
    assert 'ansible-galaxy collection install' in containerfile and '-r requirements.yml' in containerfile

    # ansible-rulebook and requests: in the Python requirements the image build installs.
    packages = [line.split('>')[0].split('=')[0].split('<')[0].strip()
                for line in (build / 'requirements.txt').read_text().splitlines() if line.strip() and not line.startswith('#')]
    assert {'ansible-rulebook', 'requests'} <= set(packages), packages
    assert 'requirements.txt' in containerfile
    assert 'ansible-core' in containerfile and 'ansible-runner' in containerfile
