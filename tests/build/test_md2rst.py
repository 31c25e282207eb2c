# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""tests/utils/md2rst.py: the Markdown guides become RST that docutils reads without a warning."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'utils'))

import md2rst  # noqa: E402 pylint: disable=wrong-import-position

docutils_core = pytest.importorskip('docutils.core')

PREFIX = 'ansible_collections.incoplax.platform.docsite.'
REPOSITORY = 'https://github.com/incoplax/ansible-collection-platform'


def convert(text, name='guide', published=('guide', 'runbook')):
    return md2rst.Converter(name, name + '.md', PREFIX, list(published), REPOSITORY).convert(text)


def docutils_warnings(rst):
    """Warnings of docutils on the RST, with the Sphinx-only constructs swapped for plain docutils ones."""
    rst = rst.replace('.. code-block::', '.. code::').replace(':ref:`', ':literal:`')
    stream = io.StringIO()
    docutils_core.publish_string(rst, writer='null', settings_overrides={
        'warning_stream': stream, 'report_level': 2, 'halt_level': 5})
    return stream.getvalue()


TRICKY = u'''# Title with `code` and *words*

Text with `code`s, **bold**text, a_b, _under_, trailing_ and *star*, a | pipe, a \\\\ backslash, `` a`b ``.
See [the runbook](runbook.md), [the emulator](../extensions/emulator/README.md#start), [site](https://x.org/a_b),
<https://example.org/x>.

## Steps

1. one
   - nested `a`
   - nested b

     ```yaml
     key: value
     ```
2. two

> quoted **text**

| field | meaning |
|---|---|
| `before` | sessions open at the start |
| empty | |

Ends with::
'''


def test_tricky_markdown_gives_clean_rst():
    rst = convert(TRICKY)
    assert rst.startswith('.. Generated from docs/guide.md')
    assert '.. _%sguide:' % PREFIX in rst
    assert docutils_warnings(rst) == ''
    assert '``code``\\ s' in rst and '**bold**\\ text' in rst and 'a_b' in rst and 'trailing\\_' in rst
    assert ':ref:`the runbook <%srunbook>`' % PREFIX in rst
    assert '`the emulator <%s/blob/main/extensions/emulator/README.md#start>`__' % REPOSITORY in rst
    assert '.. code-block:: yaml' in rst and '.. list-table::' in rst
    assert 'Ends with:\\:' in rst


@pytest.mark.parametrize('text, message', [
    (u'no title\n', 'exactly one level-1 heading'),
    (u'# One\n\n# Two\n', 'second level-1 heading'),
    (u'# T\n\n![image](x.png)\n', "inline element 'image'"),
    (u'# T\n\n[out](../../etc/passwd)\n', 'outside the repository'),
])
def test_unsupported_markdown_is_an_error(text, message):
    with pytest.raises(md2rst.ConversionError, match=message):
        convert(text)


def test_every_published_guide_converts_cleanly():
    outputs, problems = md2rst.generate(ROOT)
    assert outputs, 'docs/docsite/extra-docs.yml publishes no guide'
    for path, rst in sorted(outputs.items()):
        assert docutils_warnings(rst) == '', path
    # Unlisted or stale guides are reported by the docsite step; here only conversion errors count.
    assert not [problem for problem in problems if 'unsupported' in problem or 'heading' in problem], problems
