# -*- coding: utf-8 -*-
# Copyright (c) Contributors to the incoplax.platform collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn the user guides docs/<name>.md into the RST extra docs that antsibull-docs reads (docs/docsite/rst/).

antsibull-docs only takes ``docs/docsite/rst/**/*.rst`` as extra docs, each label prefixed with
``ansible_collections.<namespace>.<name>.docsite.``. The Markdown files in docs/ stay the source of truth:
this script writes docs/docsite/rst/<name>.rst for every ``ref`` listed in docs/docsite/extra-docs.yml
(from docs/<ref>.md), and ``--check`` fails when a generated file is stale, missing or orphaned, or when a
guide in docs/ is in neither extra-docs.yml nor NOT_PUBLISHED.

Usage: md2rst.py [--check] [--root DIR] [--out DIR]
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import posixpath
import re
import sys
import unicodedata

import yaml
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

# Markdown files in docs/ that are not user documentation.
NOT_PUBLISHED = ('emulator-contract.md',)
HEADER = '.. Generated from docs/{source} by tests/utils/md2rst.py. Edit the Markdown file, then run: make docsite'
ADORNMENTS = {1: '=', 2: '=', 3: '-', 4: '~', 5: '^', 6: '"'}
CODE_LANGUAGES = {'yml': 'yaml', 'sh': 'bash', 'shell': 'bash', 'console': 'console', '': 'text'}
# docutils: what may stand right before an inline markup start-string, and right after an end-string.
BEFORE_MARKUP = set(' \t\n-:/\'"<([{')
AFTER_MARKUP = set(' \t\n-.,:;!?\\/\'")]}>')


class ConversionError(Exception):
    """The Markdown uses something this converter does not translate."""


def escape_text(text):
    """Escape RST inline markup characters in plain text."""
    text = text.replace('\\', '\\\\')
    text = re.sub(r'([*`|])', r'\\\1', text)
    # An underscore inside a word is plain text; elsewhere it could end a reference (name_) or start a target.
    return re.sub(r'(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])', r'\\_', text)


def display_width(text):
    return sum(2 if unicodedata.east_asian_width(char) in 'WF' else 1 for char in text)


class Converter:
    """Render one Markdown document as RST."""

    def __init__(self, name, source, label_prefix, published, repository, docs_dir='docs'):
        self.name = name
        self.source = source
        self.label_prefix = label_prefix
        self.published = published
        self.repository = repository.rstrip('/')
        self.docs_dir = docs_dir
        self.titles = 0

    def convert(self, text):
        parser = MarkdownIt('commonmark', {'html': False}).enable('table')
        tree = SyntaxTreeNode(parser.parse(text))
        lines = [HEADER.format(source=self.source), '', '.. _%s%s:' % (self.label_prefix, self.name), '']
        lines.extend(self.blocks(tree.children))
        if self.titles != 1:
            raise ConversionError('%s: needs exactly one level-1 heading (the page title), found %d' % (self.source, self.titles))
        return '\n'.join(lines).rstrip('\n') + '\n'

    # Blocks: each returns a list of lines, without surrounding blank lines.

    def blocks(self, nodes):
        lines = []
        for node in nodes:
            if lines:
                lines.append('')
            lines.extend(self.block(node))
        return lines

    def block(self, node):
        handler = getattr(self, 'block_' + node.type, None)
        if handler is None:
            raise ConversionError('%s:%s: unsupported Markdown block %r' % (self.source, self.line(node), node.type))
        return handler(node)

    @staticmethod
    def line(node):
        return node.map[0] + 1 if node.map else '?'

    def block_heading(self, node):
        level = int(node.tag[1])
        title = self.inline(node.children[0]) if node.children else ''
        if level == 1:
            self.titles += 1
            if self.titles > 1:
                raise ConversionError('%s:%s: a second level-1 heading' % (self.source, self.line(node)))
        rule = ADORNMENTS[level] * max(display_width(title), 3)
        return [rule, title, rule] if level == 1 else [title, rule]

    def block_paragraph(self, node):
        lines = self.inline(node.children[0]).split('\n')
        result = []
        for line in lines:
            # Plain text that RST would read as a list item, a directive, a table or a section adornment.
            if re.match(r'^(\d+[.)]|[-*+]|#\.|\.\.|\|)(\s|$)', line) or re.match(r'^([=\-`:\'"~^_*+#<>.])\1+\s*$', line):
                line = '\\' + line
            result.append(line)
        if result[-1].endswith('::'):
            result[-1] = result[-1][:-2] + ':\\:'
        return result

    def block_fence(self, node):
        info = (node.info or '').strip().split()
        language = info[0].lower() if info else ''
        language = CODE_LANGUAGES.get(language, language)
        code = node.content.rstrip('\n').split('\n')
        return ['.. code-block:: %s' % language, ''] + [('   ' + line) if line.strip() else '' for line in code]

    block_code_block = block_fence

    def block_blockquote(self, node):
        return ['    ' + line if line else '' for line in self.blocks(node.children)]

    def block_hr(self, node):
        return ['----']

    def _list(self, node, markers):
        lines = []
        for index, item in enumerate(node.children):
            marker = markers(index)
            body = self.blocks(item.children) or ['']
            if lines:
                lines.append('')
            lines.append(marker + body[0])
            lines.extend((' ' * len(marker) + line) if line else '' for line in body[1:])
        return lines

    def block_bullet_list(self, node):
        return self._list(node, lambda index: '- ')

    def block_ordered_list(self, node):
        start = int(node.attrs.get('start', 1))
        width = len('%d. ' % (start + len(node.children) - 1))
        return self._list(node, lambda index: ('%d. ' % (start + index)).ljust(width))

    def block_table(self, node):
        rows = []
        header_rows = 0
        for section in node.children:
            for row in section.children:
                rows.append([self.inline(cell.children[0]) if cell.children else '' for cell in row.children])
                if section.type == 'thead':
                    header_rows += 1
        lines = ['.. list-table::', '   :header-rows: %d' % header_rows, '   :widths: auto', '']
        for row in rows:
            for index, cell in enumerate(row):
                if '\n' in cell:
                    raise ConversionError('%s:%s: a table cell spans lines' % (self.source, self.line(node)))
                lines.append(('   * - ' if index == 0 else '     - ') + cell)
        return [line.rstrip() for line in lines]

    # Inline content: a list of (is_markup, text) segments joined so that docutils sees the markup.

    def inline(self, node):
        segments = self.segments(node.children)
        out = ''
        for index, (markup, text) in enumerate(segments):
            if markup:
                if out and out[-1] not in BEFORE_MARKUP:
                    out += '\\ '
                out += text
                following = segments[index + 1][1] if index + 1 < len(segments) else ''
                if following and following[0] not in AFTER_MARKUP:
                    out += '\\ '
            else:
                out += text
        return out

    def segments(self, nodes):
        result = []
        for node in nodes:
            kind = node.type
            if kind == 'text':
                result.append((False, escape_text(node.content)))
            elif kind in ('softbreak', 'hardbreak'):
                result.append((False, '\n'))
            elif kind == 'code_inline':
                result.append((True, self.literal(node.content)))
            elif kind in ('strong', 'em'):
                inner = self.segments(node.children)
                text = ''.join(text for _markup, text in inner)
                if any(markup for markup, _text in inner) or text != text.strip() or '\n' in text:
                    result.extend(inner)  # RST cannot nest inline markup: keep the content, drop the emphasis
                else:
                    mark = '**' if kind == 'strong' else '*'
                    result.append((True, mark + text + mark))
            elif kind == 'link':
                result.append(self.link(node))
            else:
                raise ConversionError('%s: unsupported Markdown inline element %r' % (self.source, kind))
        return result

    @staticmethod
    def literal(content):
        if '``' in content or content != content.strip() or not content:
            return ':literal:`%s`' % re.sub(r'([\\`])', r'\\\1', content)
        return '``%s``' % content

    def plain(self, nodes):
        return ''.join(child.content if child.type in ('text', 'code_inline') else self.plain(child.children) for child in nodes)

    def link(self, node):
        href = node.attrs.get('href', '')
        text = ' '.join(self.plain(node.children).split())
        if re.match(r'^[a-z][a-z0-9+.-]*:', href):
            if text == href or text == href.split(':', 1)[1]:
                return (True, href)
            return (True, '`%s <%s>`__' % (re.sub(r'([\\`<])', r'\\\1', text), href))
        path, _sep, anchor = href.partition('#')
        if not path:  # a link inside the page: keep the words
            return (False, escape_text(text))
        target = posixpath.normpath(posixpath.join(self.docs_dir, path))
        name = posixpath.basename(target)[:-3] if target.endswith('.md') else None
        if name and posixpath.dirname(target) == self.docs_dir and name in self.published:
            return (True, ':ref:`%s <%s%s>`' % (re.sub(r'([\\`<])', r'\\\1', text), self.label_prefix, name))
        if target.startswith('..'):
            raise ConversionError('%s: link outside the repository: %s' % (self.source, href))
        url = '%s/blob/main/%s%s' % (self.repository, target, '#' + anchor if anchor else '')
        return (True, '`%s <%s>`__' % (re.sub(r'([\\`<])', r'\\\1', text), url))


def published_names(extra_docs):
    names = []
    for section in extra_docs.get('sections') or []:
        for entry in section.get('toctree') or []:
            names.append(entry['ref'] if isinstance(entry, dict) else entry)
    return names


def generate(root):
    """Return ({relative rst path: content}, [problems]) for the collection at root."""
    with open(os.path.join(root, 'galaxy.yml')) as handle:
        galaxy = yaml.safe_load(handle)
    with open(os.path.join(root, 'docs', 'docsite', 'extra-docs.yml')) as handle:
        extra_docs = yaml.safe_load(handle) or {}
    label_prefix = 'ansible_collections.%s.%s.docsite.' % (galaxy['namespace'], galaxy['name'])
    names = published_names(extra_docs)
    outputs, problems = {}, []
    for name in names:
        source = os.path.join(root, 'docs', name + '.md')
        if not os.path.isfile(source):
            problems.append('docs/docsite/extra-docs.yml lists %r but docs/%s.md does not exist' % (name, name))
            continue
        with open(source, encoding='utf-8') as handle:
            text = handle.read()
        converter = Converter(name, name + '.md', label_prefix, names, galaxy.get('repository', ''))
        try:
            outputs[posixpath.join('docs', 'docsite', 'rst', name + '.rst')] = converter.convert(text)
        except ConversionError as exc:
            problems.append(str(exc))
    for entry in sorted(os.listdir(os.path.join(root, 'docs'))):
        if entry.endswith('.md') and entry[:-3] not in names and entry not in NOT_PUBLISHED:
            problems.append('docs/%s is in neither docs/docsite/extra-docs.yml (publish it) nor NOT_PUBLISHED in '
                            'tests/utils/md2rst.py' % entry)
    return outputs, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--check', action='store_true', help='write nothing; fail when docs/docsite/rst is not up to date')
    parser.add_argument('--root', default=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    parser.add_argument('--out', help='write the RST files under this directory instead of the collection root')
    args = parser.parse_args(argv)
    outputs, problems = generate(args.root)
    rst_dir = os.path.join(args.root, 'docs', 'docsite', 'rst')
    existing = set()  # generated files only: hand-written RST extra docs may sit beside them
    for entry in sorted(os.listdir(rst_dir)) if os.path.isdir(rst_dir) else []:
        if entry.endswith('.rst'):
            with open(os.path.join(rst_dir, entry), encoding='utf-8') as handle:
                if handle.readline().startswith('.. Generated from docs/'):
                    existing.add(posixpath.join('docs', 'docsite', 'rst', entry))
    if args.check:
        for path in sorted(set(outputs) | existing):
            current = None
            if path in existing:
                with open(os.path.join(args.root, path), encoding='utf-8') as handle:
                    current = handle.read()
            if path not in outputs:
                problems.append('%s has no Markdown source in extra-docs.yml: remove it' % path)
            elif current != outputs[path]:
                problems.append('%s is %s: run make docsite (it regenerates it from docs/%s)' % (
                    path, 'missing' if current is None else 'out of date', posixpath.basename(path)[:-4] + '.md'))
    else:
        out = args.out or args.root
        for path, content in sorted(outputs.items()):
            target = os.path.join(out, path)
            if not os.path.isdir(os.path.dirname(target)):
                os.makedirs(os.path.dirname(target))
            with open(target, 'w', encoding='utf-8') as handle:
                handle.write(content)
        if not args.out:
            for path in sorted(existing - set(outputs)):
                os.remove(os.path.join(args.root, path))
    for problem in problems:
        print('md2rst: %s' % problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
