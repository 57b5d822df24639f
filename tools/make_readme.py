"""Write README.md from nbs/index.ipynb without Quarto.

`nbdev_readme` runs nbdev's notebook processors and then Quarto's GitHub-markdown renderer; Quarto cannot be installed
everywhere (it is not on PyPI), so this does the same with nbdev's processors and nbconvert's Markdown exporter.

    python tools/make_readme.py           # write README.md
    python tools/make_readme.py --check   # exit 1 if README.md is not what the notebook gives
"""
import argparse
import json
import sys
from pathlib import Path

import nbformat
from execnb.nbio import read_nb
from nbconvert import MarkdownExporter
from nbdev.config import get_config
from nbdev.processors import FilterDefaults

def _plain(value):
    "execnb's notebook objects as plain JSON-able values."
    if isinstance(value, dict): return {k: _plain(v) for k, v in value.items() if not k.endswith('_')}
    if isinstance(value, list): return [_plain(v) for v in value]
    return value


def readme_text(notebook: Path) -> str:
    "README.md's text: the notebook through nbdev's processors, then nbconvert's Markdown."
    nb = read_nb(notebook)
    FilterDefaults()(nb)  # nbdev's own processing: front matter, hidden cells, directives, show_doc...
    front = getattr(nb, 'frontmatter_', None) or {}
    plain = _plain(nb)
    plain['cells'] = [c for c in plain['cells'] if c['cell_type'] != 'raw']  # the front matter, rendered below
    for cell in plain['cells']:
        cell.setdefault('metadata', {})
        if cell['cell_type'] == 'code':
            cell.setdefault('outputs', []); cell.setdefault('execution_count', None)
            # Quarto reads `#|` directives and drops them; so do we
            cell['source'] = '\n'.join(l for l in cell['source'].splitlines() if not l.lstrip().startswith('#|')).strip()
    plain.setdefault('metadata', {})['language_info'] = {'name': 'python'}
    node = nbformat.reads(json.dumps(plain), as_version=4)
    body, _ = MarkdownExporter().from_notebook_node(node)
    head = f"# {front.get('title', 'imgclf')}\n\n"
    if front.get('description'): head += f"> {front['description']}\n\n"
    lines = [line.rstrip() for line in (head + body.strip()).splitlines()]
    text, blank = [], False
    for line in lines:  # collapse runs of blank lines, as Quarto's output has none
        if line == '' and blank: continue
        text.append(line); blank = line == ''
    return '\n'.join(text) + '\n'


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true', help='only check that README.md is current')
    args = parser.parse_args(argv)
    cfg = get_config()
    notebook, readme = Path(cfg.nbs_path)/cfg.readme_nb, Path(cfg.config_path)/'README.md'
    text = readme_text(notebook)
    if args.check:
        if not readme.exists() or readme.read_text(encoding='utf-8') != text:
            print(f'README.md is stale: run python tools/make_readme.py (it is generated from {notebook})', file=sys.stderr)
            return 1
        print('README.md is current')
        return 0
    readme.write_text(text, encoding='utf-8')
    print(f'wrote {readme}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
