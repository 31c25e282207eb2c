# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""meta/execution-environment.yml: ``ansible-builder create`` makes a complete build context, offline.

As the AWX guide (docs/docsite/rst/awx.rst) tells users: build the collection tarball next to ``meta/``, then
``ansible-builder create -f meta/execution-environment.yml``. The context must carry the collection (the tarball,
named in the Galaxy requirements) and requests. The same file is also the collection's EE metadata, which
ansible-builder's introspection step reads inside the image build of any EE that installs the collection: that step
is run here on the installed tarball, so a file it cannot read would fail here rather than in a container build.
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


def test_ansible_builder_create_offline(tmp_path):
    galaxy = load_yaml(os.path.join(ROOT, 'galaxy.yml'))
    tarball = '%s-%s-%s.tar.gz' % (galaxy['namespace'], galaxy['name'], galaxy['version'])
    definition = load_yaml(os.path.join(ROOT, 'meta', 'execution-environment.yml'))
    assert definition['version'] == 3
    assert {'name': 'collections/%s' % tarball, 'type': 'file'} in definition['dependencies']['galaxy']['collections'], (
        'meta/execution-environment.yml must install %s (the version of galaxy.yml)' % tarball)
    # Introspection reads dependencies.python/system relative to the collection root: none may be set here.
    assert not {'python', 'system'} & set(definition['dependencies'])

    env = clean_environ({'ANSIBLE_HOME': str(tmp_path / 'ansible-home'), 'ANSIBLE_NOCOLOR': '1'})
    source = tmp_path / 'checkout'
    source.mkdir()
    shutil.copytree(os.path.join(ROOT, 'meta'), str(source / 'meta'))
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', ROOT, '--output-path', str(source)], str(source), env)
    assert (source / tarball).is_file()

    context = tmp_path / 'context'
    run([os.path.join(BIN, 'ansible-builder'), 'create', '-f', 'meta/execution-environment.yml', '-c', str(context),
         '--output-filename', 'Containerfile'], str(source), env)
    build = context / '_build'
    containerfile = (context / 'Containerfile').read_text()

    # The collection: the tarball is in the context and the Galaxy requirements install it.
    with tarfile.open(str(build / 'collections' / tarball)) as archive:
        manifest = json.load(archive.extractfile('MANIFEST.json'))['collection_info']
    assert (manifest['namespace'], manifest['name'], manifest['version']) == (galaxy['namespace'], galaxy['name'], galaxy['version'])
    requirements = yaml.safe_load((build / 'requirements.yml').read_text())
    assert requirements['collections'] == [{'name': 'collections/%s' % tarball, 'type': 'file'}]
    assert 'ansible-galaxy collection install' in containerfile and '-r requirements.yml' in containerfile

    # requests: the requirements file is in the context and the final image installs it.
    packages = [line.split('>')[0].split('=')[0].strip() for line in (build / 'configs' / 'ee-requirements.txt').read_text().splitlines()
                if line.strip() and not line.startswith('#')]
    assert 'requests' in packages
    final = containerfile[containerfile.index('FROM base AS final'):]
    assert 'COPY _build/configs/ee-requirements.txt' in final
    assert '$PYCMD -m pip install --no-cache-dir -r /tmp/incoplax-ee-requirements.txt' in final
    assert 'ansible-core' in containerfile and 'ansible-runner' in containerfile

    # The image build's introspection over the installed collection (reads its meta/execution-environment.yml).
    installed = tmp_path / 'installed'
    run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--no-deps', '--force', '-p', str(installed),
         str(source / tarball)], str(tmp_path), env)
    assert (installed / 'ansible_collections' / 'incoplax' / 'platform' / 'meta' / 'execution-environment.yml').is_file()
    output = run([sys.executable, str(build / 'scripts' / 'introspect.py'), 'introspect', str(installed)], str(tmp_path), env)
    assert 'Traceback' not in output and 'Expected requirements file not present' not in output, output
