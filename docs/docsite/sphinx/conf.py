# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sphinx configuration of the HTML docsite (tests/utils/docsite.sh, make docsite).

Based on what ``antsibull-docs sphinx-init`` writes, with one change: the build runs offline, so the
intersphinx inventory of the Ansible docs is a small local one, written here, that holds the labels the
generated pages link to (ansible-core's reference pages and the ansible.builtin plugin pages).
Any other unresolved reference fails the build (nitpicky, and the build runs with -W).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import os
import shutil
import tempfile
import zlib

import yaml

ANSIBLE_DOCS = 'https://docs.ansible.com/projects/ansible/devel/'
# label: (page, anchor, title) on the Ansible docsite; covers every :ref: the antsibull-docs 2.28 templates can write
ANSIBLE_LABELS = {
    'ansible_configuration_settings': ('reference_appendices/config.html', 'ansible-configuration-settings',
                                       'Ansible Configuration Settings'),
    'common_return_values': ('reference_appendices/common_return_values.html', 'common-return-values', 'Return Values'),
    'module_defaults': ('playbook_guide/playbooks_module_defaults.html', 'module-defaults', 'Module defaults'),
    'check_mode_dry': ('playbook_guide/playbooks_checkmode.html', 'check-mode-dry', 'Validating tasks: check mode and diff mode'),
    'playbooks_reuse_roles': ('playbook_guide/playbooks_reuse_roles.html', 'playbooks-reuse-roles', 'Roles'),
    'action_plugins': ('plugins/action.html', 'action-plugins', 'Action plugins'),
    'callback_plugins': ('plugins/callback.html', 'callback-plugins', 'Callback plugins'),
    'list_of_callback_plugins': ('collections/index_callback.html', 'list-of-callback-plugins', 'Index of all Callback Plugins'),
    'list_of_collections': ('collections/index.html', 'list-of-collections', 'Collection Index'),
    'collections_keyword': ('collections_guide/collections_using_playbooks.html',
                            'simplifying-module-names-with-the-collections-keyword', 'the collections keyword'),
}
BUILTIN_PLUGIN_TYPES = ('become', 'cache', 'callback', 'connection', 'filter', 'inventory', 'lookup', 'shell',
                        'strategy', 'test', 'vars')


def _builtin_plugins():
    """(name, type) of every ansible.builtin module and plugin of the installed ansible-core."""
    try:
        import ansible
    except ImportError:
        return []
    base = os.path.dirname(ansible.__file__)
    found = set()
    for plugin_type, folder in [('module', os.path.join(base, 'modules'))] + [
            (kind, os.path.join(base, 'plugins', kind)) for kind in BUILTIN_PLUGIN_TYPES]:
        for entry in os.listdir(folder) if os.path.isdir(folder) else []:
            name, ext = os.path.splitext(entry)
            if ext in ('.py', '.yml') and not name.startswith('_'):
                found.add((name, plugin_type))
    return sorted(found)


def _write_inventory():
    """Write a Sphinx v2 inventory of the Ansible docs labels above; return its path."""
    lines = []
    for label, (page, anchor, title) in sorted(ANSIBLE_LABELS.items()):
        lines.append('%s std:label -1 %s#%s %s' % (label, page, anchor, title))
    for name, plugin_type in _builtin_plugins():
        label = 'ansible_collections.ansible.builtin.%s_%s' % (name, plugin_type)
        lines.append('%s std:label -1 collections/ansible/builtin/%s_%s.html#%s %s' % (
            label, name, plugin_type, label.replace('.', '-').replace('_', '-'), 'ansible.builtin.%s %s' % (name, plugin_type)))
    folder = tempfile.mkdtemp(prefix='incoplax-docsite-inv.')
    atexit.register(shutil.rmtree, folder, True)
    path = os.path.join(folder, 'ansible_devel.inv')
    with open(path, 'wb') as handle:
        handle.write(b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
                     b'# The remainder of this file is compressed using zlib.\n')
        handle.write(zlib.compress(('\n'.join(lines) + '\n').encode('utf-8')))
    return path


project = 'incoplax.platform'
# One author everywhere: galaxy.yml's (the plugins' and roles' documentation name the same one, tests/build checks it)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'galaxy.yml')) as _galaxy:
    author = ', '.join(yaml.safe_load(_galaxy)['authors'])
copyright = 'Contributors to the incoplax.platform collection'  # pylint: disable=redefined-builtin
title = 'incoplax.platform collection documentation'
html_short_title = 'incoplax.platform'

extensions = ['sphinx.ext.intersphinx', 'sphinx_antsibull_ext']
pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'
html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False
html_context = {'display_github': False}

intersphinx_mapping = {'ansible_devel': (ANSIBLE_DOCS, _write_inventory())}
intersphinx_disabled_reftypes = ['std:doc']
default_role = 'any'
nitpicky = True
