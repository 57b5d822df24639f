"""Build the documentation site into `_docs/`: nbdev's notebook processing, then Sphinx with MyST-NB and the Furo theme.

Quarto, which `nbdev_docs` drives, is not on PyPI or Debian, so this runs nbdev's own processors (front matter,
hidden and exported cells, `show_doc`, links to the API) on each notebook and hands the result to Sphinx, which
renders the notebooks with their stored outputs (figures, tables), the sidebar and the search. Nothing is fetched
from the network, neither while building nor when the site is opened.

    python tools/build_docs.py            # the whole site into _docs/ (settings.ini's doc_path)
    python tools/build_docs.py --keep     # also keep _proc/site/, the notebooks as Sphinx reads them

Pages, in this order: nbs/index.ipynb as the home page; nbs/*.ipynb (sorted) as the library; nbs/tutorials/*.ipynb
(sorted) as the tutorials; and a page for each module of the package that no notebook exports. Every name in a
module's `__all__` gets an API entry (signature, docstring, source link): nbdev's `show_doc` where the notebook
has one, else one made here. Exit status 1 when a notebook could not be processed (the problems are listed).
"""
from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import json
import os
import re
import shutil
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's package, not another installed copy
os.environ.setdefault('MPLBACKEND', 'Agg')

try:
    from execnb.nbio import mk_cell, read_nb
    from nbdev import processors as nbdev_processors
    from nbdev.config import get_config
    from nbdev.doclinks import _nbpath2html  # nbdev's page name for a notebook: 00_core.ipynb -> core.html
    from nbdev.process import NBProcessor, Processor
    from nbdev.processors import FilterDefaults, exec_show_docs
    from nbdev.showdoc import show_doc
    from sphinx.cmd.build import build_main
    import furo, myst_nb  # noqa: F401  (the theme and the notebook reader Sphinx loads by name)
except ImportError as missing:
    raise SystemExit(f'{missing}: the documentation needs the dev extra: pip install -e ".[dev]"') from None

sys.path.insert(0, str(Path(__file__).parent))
from colab_cells import INSTALL_MARK  # noqa: E402

GROUPS = {'library': 'Library', 'tutorials': 'Tutorials', 'modules': 'More modules'}
STYLE = Path(__file__).with_name('docs.css')
BADGE, BADGE_URL = Path(__file__).with_name('colab-badge.svg'), 'https://colab.research.google.com/assets/colab-badge.svg'
REPOSITORY_LINK = 'GitHub'  # the footer's link to the repository


@dataclass
class Page:
    "One page of the site: the notebook it comes from (None for a module's generated page) and where it goes."
    name: str                     # path of the page without `.html`, e.g. `core` or `tutorials/deployment`
    group: str                    # 'home', or a key of GROUPS
    notebook: Path | None = None
    module: str | None = None     # for a generated page: the module it documents
    title: str = ''
    notes: list = field(default_factory=list)


@dataclass
class Site:
    "The settings the build needs, from settings.ini."
    root: Path
    nbs: Path
    lib: Path
    out: Path
    title: str
    git_url: str
    branch: str
    doc_url: str                  # doc_host + doc_baseurl + '/': where nbdev's links to the API point

    @classmethod
    def from_config(cls) -> Site:
        "The site described by settings.ini."
        cfg = get_config()
        doc_url = '/'.join(part for part in (cfg.doc_host.rstrip('/'), cfg.doc_baseurl.strip('/')) if part) + '/'
        return cls(root=Path(cfg.config_path), nbs=Path(cfg.nbs_path), lib=Path(cfg.lib_path), out=Path(cfg.doc_path),
                   title=cfg.title, git_url=cfg.git_url.rstrip('/'), branch=cfg.branch, doc_url=doc_url)

    @property
    def package(self) -> str: return self.lib.name


# ---------------------------------------------------------------- the pages and the package's public names

def shown(path: Path) -> str:
    "A path as the messages show it: relative to the repository when it is inside it."
    path = Path(path).resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.as_posix()


def page_name(notebook: Path, nbs: Path) -> str:
    "The page a notebook becomes, as nbdev names it: `nbs/00_core.ipynb` -> `core`."
    return _nbpath2html(notebook.relative_to(nbs)).with_suffix('').as_posix()


def discover_pages(site: Site) -> list[Page]:
    "The home page, then the library notebooks and the tutorials, each sorted by file name."
    visible = lambda p: not p.name.startswith(('_', '.'))
    home = site.nbs/(get_config().get('readme_nb') or 'index.ipynb')
    library = [p for p in sorted(site.nbs.glob('*.ipynb')) if visible(p) and p != home]
    tutorials = [p for p in sorted((site.nbs/'tutorials').glob('*.ipynb')) if visible(p)]
    if not home.exists(): raise SystemExit(f'No home page: {shown(home)} is missing.')
    pages = [Page('index', 'home', home)]
    pages += [Page(page_name(p, site.nbs), 'library', p) for p in library]
    pages += [Page(page_name(p, site.nbs), 'tutorials', p) for p in tutorials]
    names = [p.name for p in pages]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes: raise SystemExit(f'Two notebooks would make the same page {clashes}: rename one of them.')
    return pages


def public_names(source: Path) -> list[str]:
    "The names in `__all__` as the module's source file lists them (nbdev writes it; later additions are ignored)."
    for node in ast.parse(source.read_text(encoding='utf-8')).body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '__all__' for t in node.targets):
            return list(ast.literal_eval(node.value))
    return []


def package_modules(site: Site) -> dict[str, Path]:
    "Each module of the package that has an `__all__`, by dotted name, with its source file."
    modules = {}
    for source in sorted(site.lib.rglob('*.py')):
        if source.name.startswith('_'): continue
        name = '.'.join(source.relative_to(site.lib.parent).with_suffix('').parts)
        if public_names(source): modules[name] = source
    return modules


def module_notebook(source: Path) -> str | None:
    "The notebook nbdev's header in a module names (`File to edit: ../nbs/08_cnn.ipynb`), as a path below nbs/."
    found = re.search(r'File to edit: (?:\.\./)*nbs/(\S+\.ipynb)', source.read_text(encoding='utf-8')[:1000])
    return found.group(1) if found else None


def pages_for_orphans(site: Site, pages: list[Page], modules: dict[str, Path]) -> list[Page]:
    "A generated page for each module whose notebook is not among the pages (a module left behind by a removed notebook)."
    notebooks = {p.notebook.relative_to(site.nbs).as_posix() for p in pages if p.notebook}
    taken, extra = {p.name for p in pages}, []
    for module, source in modules.items():
        claimed = module_notebook(source)
        if claimed in notebooks: continue
        name = page_name(site.nbs/claimed, site.nbs) if claimed else module.split('.', 1)[-1].replace('.', '_')
        if name in taken: name = module.replace('.', '_')
        note = (f'{shown(source)} says it is made from nbs/{claimed}, which does not exist: restore the notebook or '
                f'delete the module' if claimed else f'{shown(source)} is not made from a notebook')
        extra.append(Page(name, 'modules', module=module, notes=[note]))
        taken.add(name)
    return extra


# ---------------------------------------------------------------- API entries

def source_line(source: Path, name: str) -> int:
    "The line of the top-level statement of `source` that binds `name` (1 if none does)."
    for node in ast.parse(source.read_text(encoding='utf-8')).body:
        if name in bound_names([node]): return node.lineno
    return 1


def bound_names(statements: list[ast.stmt]) -> set[str]:
    "The names these top-level statements bind: definitions, assignments and imports (inside `if`/`try` too)."
    names = set()
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split('.')[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for part in ('body', 'orelse', 'finalbody', 'handlers'): names |= bound_names(getattr(node, part, []))
        elif isinstance(node, ast.ExceptHandler): names |= bound_names(node.body)
    return names


def value_entry(site: Site, module: str, name: str) -> str:
    "An entry in `show_doc`'s format for a name that is not a function or class: the statement that defines it."
    source = site.lib.parent/(module.replace('.', '/') + '.py')
    tree = ast.parse(text := source.read_text(encoding='utf-8'))
    node = next((n for n in tree.body if name in bound_names([n])), None)
    code = (ast.get_source_segment(text, node, padded=True) or name) if node else name
    lines = code.splitlines()
    if len(lines) > 15: lines = lines[:14] + ['...']
    url = f'{site.git_url}/blob/{site.branch}/{source.relative_to(site.root).as_posix()}#L{source_line(source, name)}'
    body = '\n'.join(lines)
    return f'---\n\n[source]({url}){{target="_blank"}}\n\n### {name}\n\n```python\n{body}\n```\n'


def api_entry(site: Site, module: str, name: str) -> str:
    "The API entry of `module.name` as markdown: nbdev's `show_doc` for functions and classes, else its definition."
    obj = getattr(importlib.import_module(module), name, None)
    if inspect.isfunction(obj) or inspect.isclass(obj) or inspect.isbuiltin(obj):
        return show_doc(obj, name=name)._repr_markdown_()
    return value_entry(site, module, name)


_ENTRY = re.compile(r'^-{3,}\s*\n+(?:\[source\]\((?P<url>[^)\s]+)\)(?:\{[^}\n]*\})?\s*\n+)?(?P<level>#{2,4}) (?P<name>[^\n]+)\n',
                    re.MULTILINE)


def tidy_entry(markdown: str) -> str:
    "`show_doc`'s markdown made ready for MyST: the heading first, its anchor as nbdev names it, the source link after."
    def tidy(found):
        name, url = found['name'].strip(), line_number(found['url'], found['name'].strip())
        anchor = name.lower()
        lines = [f'<div id="{anchor}" class="api-anchor"></div>', ''] if re.search(r'[^a-z0-9_-]', anchor) else []
        lines.append(f"{found['level']} {name.replace('_', chr(92) + '_')}")
        if url: lines += ['', f'[source]({url}){{.source-link target="_blank"}}']
        return '\n'.join(lines) + '\n'
    text = _ENTRY.sub(tidy, markdown)
    return re.sub(r'^```python\ndef (\w+)\(', lambda m: _class_or_def(m, text), text, flags=re.MULTILINE)


def line_number(url: str | None, name: str) -> str | None:
    "A source link with its line: nbdev writes `#LNone` when its index of the package does not know the name."
    if not url or not url.endswith('#LNone'): return url
    path = ROOT/url.split('/blob/', 1)[1].split('/', 1)[1].split('#')[0]
    return url[:-len('None')] + str(source_line(path, name.split('.')[0]) if path.exists() else 1)


def _class_or_def(found, text: str) -> str:
    "`def Name(` as fastcore's renderer writes every signature, made `class Name(` when Name is a class."
    source = re.search(r'\]\(\S*?/blob/[^/]+/(\S+?)\.py#L\d+\)', text)
    if source:
        try: obj = getattr(importlib.import_module(source.group(1).replace('/', '.')), found.group(1), None)
        except ImportError: obj = None
        if inspect.isclass(obj): return f'```python\nclass {found.group(1)}('
    return found.group(0)


# ---------------------------------------------------------------- nbdev's processing

class ExecuteDocCells(exec_show_docs):
    """nbdev's `exec_show_docs` (exported cells, imports and `show_doc` cells run to render `show_doc`), except that a
    cell mixing imports with other code, which nbdev runs whole (tests, training...), only has its imports run."""
    mixed: list  # the notebook's cells of that kind, by their first line

    def begin(self):
        super().begin()
        self.mixed = []

    def __call__(self, cell):
        if INSTALL_MARK in cell.source: return  # tools/colab_cells.py's install cell: hidden, and for Colab only
        if not self.nb.has_docs_ or not hasattr(self, 'k') or not _mixes_imports(cell): return super().__call__(cell)
        self.mixed.append(cell.source.strip().splitlines()[0])
        trees = cell.parsed_() or []
        imports = [ast.get_source_segment(cell.source, n) for n in trees if isinstance(n, (ast.Import, ast.ImportFrom))]
        self.k.run_cell('\n'.join(imports))
        if self.k.exc: raise Exception(f'in cell {cell.idx_} :\n{cell.source}') from self.k.exc


def _mixes_imports(cell) -> bool:
    "Whether nbdev would run this cell only because it has imports, though it has other code too."
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        if not nbdev_processors._do_eval(cell): return False
    trees = cell.parsed_() or []
    if cell.directives_.keys() & {'export', 'exports', 'exporti', 'exec_doc'} or nbdev_processors._show_docs(trees):
        return False
    return bool(nbdev_processors._ast_contains(trees, (ast.Expr, ast.Assign)))


def shown_names(cells) -> set[str]:
    "The names the `show_doc` calls in these cells document."
    trees = [t for c in cells if c.cell_type == 'code' and c.get('source') for t in (c.parsed_() or [])]
    return {nbdev_processors._get_nm(t) for t in nbdev_processors._show_docs(trees)}


def make_entry_adder(site: Site, modules: dict[str, Path]):
    "A processor that adds, after each exported cell, an entry for each public name it defines that has no `show_doc`."
    class add_missing_entries(Processor):
        def begin(self):
            default, shown, cells = nbdev_processors._default_exp(self.nb), shown_names(self.nb.cells), self.nb.cells
            for position in reversed(range(len(cells))):
                cell = cells[position]
                exported = {'export', 'exports'} & cell.directives_.keys()
                if cell.cell_type != 'code' or not exported or not cell.source: continue
                module = ((cell.directives_[exported.pop()] or [default])[0] or '')
                module = f'{site.package}.{module}' if not module.startswith(site.package + '.') else module
                if module not in modules: continue
                names = [n for n in public_names(modules[module]) if n in bound_names(cell.parsed_() or []) and n not in shown]
                for name in reversed(names): cells.insert(position + 1, mk_cell(api_entry(site, module, name), 'markdown'))
                shown |= set(names)
    return add_missing_entries


def processors(site: Site, modules: dict[str, Path], execute: bool = True) -> list:
    "nbdev's processors, with `ExecuteDocCells` for `exec_show_docs` (or none) and the missing API entries added."
    chosen = []
    for processor in FilterDefaults().procs():
        if processor is exec_show_docs:
            if execute: chosen.append(ExecuteDocCells)
            continue
        chosen.append(processor)
        if processor is nbdev_processors.add_show_docs: chosen.append(make_entry_adder(site, modules))
    return chosen


@contextmanager
def working_folder(folder: Path):
    "Run in `folder` (where the notebook is, as when it is run), as nbdev's processing does, with IN_TEST set."
    before, test_flag = Path.cwd(), os.environ.get('IN_TEST')
    os.chdir(folder); os.environ['IN_TEST'] = '1'
    try: yield
    finally:
        os.chdir(before)
        if test_flag is None: os.environ.pop('IN_TEST', None)
        else: os.environ['IN_TEST'] = test_flag


def process_notebook(site: Site, page: Page, modules: dict[str, Path], problems: list[str]):
    "The notebook after nbdev's processing; when a cell fails, the problem is listed and `show_doc` cells are not run."
    for execute in (True, False):
        notebook = read_nb(page.notebook)
        with working_folder(page.notebook.parent), warnings.catch_warnings():
            warnings.simplefilter('ignore')
            try:
                runner = NBProcessor(nb=notebook, procs=processors(site, modules, execute))
                runner.process()
            except Exception as error:
                if not execute: raise SystemExit(f'{shown(page.notebook)}: nbdev cannot process it: {error}') from error
                problems.append(describe_failure(page.notebook, error))
                continue
        mixed = [p.mixed for p in runner.procs if isinstance(p, ExecuteDocCells)]
        if mixed and mixed[0]:
            page.notes.append(f'{len(mixed[0])} cell(s) mix imports with other code; nbdev would run them whole, only '
                              f'their imports were run: ' + '; '.join(f'"{line[:60]}"' for line in mixed[0]))
        return notebook


def describe_failure(notebook: Path, error: Exception) -> str:
    "Which cell of the notebook failed in nbdev's processing, and why."
    found = re.search(r'in cell \d+ :\n(.*)', str(error), re.DOTALL)
    source = quarto_options(found.group(1))[1] if found else ''  # without the `#|` lines nbdev added
    cells = json.loads(notebook.read_text(encoding='utf-8'))['cells']
    index = next((i for i, c in enumerate(cells) if source and source in ''.join(c['source'])), None)
    cause = error.__cause__ or error
    where = f'cell {index} (counting from 0)' if index is not None else 'a cell'
    first = source.splitlines()[0] if source else ''
    return f'{shown(notebook)}, {where} "{first[:80]}": {type(cause).__name__}: {str(cause).strip()[:300]}'


# ---------------------------------------------------------------- the notebooks as MyST-NB reads them

_DIRECTIVE = re.compile(r'^\s*#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')


def quarto_options(source: str) -> tuple[dict, str]:
    "The cell's Quarto options (`#| echo: false`...) and its source without any `#|` line."
    options, kept = {}, []
    for line in source.splitlines():
        found = _DIRECTIVE.match(line)
        if found: options[found.group(1)] = found.group(2).strip('"\'').lower()
        elif not line.lstrip().startswith('#|'): kept.append(line)
    return options, '\n'.join(kept).strip()


def markdown_outputs(cell) -> list[str]:
    "The text/markdown outputs of a cell (what `show_doc` gives)."
    texts = [o.get('data', {}).get('text/markdown') for o in cell.get('outputs', [])]
    return [''.join(t) if isinstance(t, list) else t for t in texts if t]


def plain(value):
    "execnb's notebook objects as plain JSON values, without the attributes nbdev adds (their names end with `_`)."
    if isinstance(value, dict): return {k: plain(v) for k, v in value.items() if not k.endswith('_')}
    if isinstance(value, list): return [plain(v) for v in value]
    return value


def code_cell(cell, options: dict, source: str) -> dict | None:
    "A code cell as MyST-NB renders it, its Quarto options as MyST-NB's tags; None when it shows nothing."
    if options.get('include') == 'false': return None
    tags = [tag for key, tag in (('echo', 'remove-input'), ('output', 'remove-output')) if options.get(key) == 'false']
    outputs = [plain(o) for o in cell.get('outputs', [])] if 'remove-output' not in tags else []
    if (not source or 'remove-input' in tags) and not outputs: return None
    return {'cell_type': 'code', 'metadata': {'tags': tags}, 'source': source, 'outputs': outputs,
            'execution_count': None}


def title_cell(front: dict, fallback: str) -> dict:
    "The page's title and description (nbdev's front matter) as a markdown cell."
    text = f"# {front.get('title') or fallback}\n"
    if front.get('description'): text += f"\n{{.description}}\n{front['description']}\n"
    return {'cell_type': 'markdown', 'metadata': {}, 'source': text}


def relative_link(target: str, page: Page) -> str:
    "The path from `page` to the page (or file) `target`, both given from the site's root."
    depth = page.name.count('/')
    return '../' * depth + target


def link_notebooks(markdown: str, page: Page, staged: dict[Path, str]) -> str:
    "Links to other notebooks (`[x](02_manifest.ipynb)`) made links to the pages they became."
    def relink(found):
        target = (page.notebook.parent/found.group(1)).resolve()
        if target not in staged: return found.group(0)
        return f'({relative_link(staged[target] + ".ipynb", page)}{found.group(2) or ""})'
    return re.sub(r'\((?!\w+://)([^()\s#]+\.ipynb)(#[^()\s]*)?\)', relink, markdown)


def staged_cells(notebook, page: Page, staged: dict[Path, str]) -> list[dict]:
    "The processed notebook's cells as MyST-NB should render them: `output: asis` cells become their markdown."
    front = getattr(notebook, 'frontmatter_', None) or {}
    page.title = front.get('title') or page.name.rsplit('/', 1)[-1]
    if not front.get('title'): page.notes.append('no title: start the notebook with a "# Title" markdown cell')
    cells = [title_cell(front, page.title)]
    for cell in notebook.cells:
        if cell.cell_type == 'markdown' and cell.get('source'):
            text = link_notebooks(tidy_entry(cell.source), page, staged)
            cells.append({'cell_type': 'markdown', 'metadata': {}, 'source': text})
        elif cell.cell_type == 'code':
            options, source = quarto_options(cell.get('source') or '')
            if options.get('output') == 'asis' and markdown_outputs(cell):
                cells += [{'cell_type': 'markdown', 'metadata': {}, 'source': tidy_entry(md)} for md in markdown_outputs(cell)]
            elif (converted := code_cell(cell, options, source)) is not None: cells.append(converted)
    return cells


def notebook_json(cells: list[dict]) -> dict:
    "A notebook (format 4.4, Python) holding `cells`."
    return {'cells': cells, 'nbformat': 4, 'nbformat_minor': 4,
            'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'},
                         'language_info': {'name': 'python'}}}


def module_page_cells(site: Site, page: Page, modules: dict[str, Path]) -> list[dict]:
    "The generated page of a module that no notebook documents: its docstring, then an entry per public name."
    documented = importlib.import_module(page.module)
    page.title = page.module
    summary = (inspect.getdoc(documented) or '').strip().split('\n\n')[0]
    cells = [title_cell({'title': page.module, 'description': summary}, page.module)]
    for name in public_names(modules[page.module]):
        cells.append({'cell_type': 'markdown', 'metadata': {}, 'source': tidy_entry(api_entry(site, page.module, name))})
    return cells


def name_notebooks(source: Path) -> dict[str, str]:
    """For each public name of a module, the notebook (below nbs/) whose exported cell defines it, from nbdev's
    `# %% ../nbs/X.ipynb` marks; else the notebook of the module's header."""
    text, found = source.read_text(encoding='utf-8'), {}
    parts = re.split(r'^# %% (?:\.\./)*nbs/(\S+\.ipynb).*$', text, flags=re.MULTILINE)
    for notebook, code in zip(parts[1::2], parts[2::2]):
        try: names = bound_names(ast.parse(code).body)
        except SyntaxError: continue
        found.update({name: notebook for name in public_names(source) if name in names and name not in found})
    default = module_notebook(source)
    return {name: found.get(name, default) for name in public_names(source)}


def entry_names(cells: list[dict]) -> set[str]:
    "The names that have an API entry (a heading of level 2 to 4) among these cells."
    text = '\n'.join(c['source'] for c in cells if c['cell_type'] == 'markdown')
    return {name.replace('\\_', '_').strip() for name in re.findall(r'^#{2,4} (.+)$', text, re.MULTILINE)}


def complete_entries(site: Site, staged: dict[str, list[dict]], pages: list[Page], modules: dict[str, Path]):
    "Append an entry for each public name still without one to the page of the notebook that defines it."
    by_notebook = {p.notebook.relative_to(site.nbs).as_posix(): p for p in pages if p.notebook}
    for module, source in modules.items():
        for name, notebook in name_notebooks(source).items():
            page = by_notebook.get(notebook)
            if page is None or name in entry_names(staged[page.name]): continue
            if not any(c['source'].startswith('## More of the API') for c in staged[page.name]):
                staged[page.name].append({'cell_type': 'markdown', 'metadata': {}, 'source': '## More of the API\n'})
            staged[page.name].append({'cell_type': 'markdown', 'metadata': {}, 'source': tidy_entry(api_entry(site, module, name))})
            page.notes.append(f'{module}.{name} had no entry in the notebook: one was added at the end of the page')


# ---------------------------------------------------------------- Sphinx

def toctree_cell(pages: list[Page]) -> dict:
    "The sidebar: one hidden table of contents per group, pages in order (a markdown cell for the home page)."
    blocks = []
    for group, caption in GROUPS.items():
        names = [p.name for p in pages if p.group == group]
        if names: blocks.append(f'```{{toctree}}\n:hidden:\n:caption: {caption}\n\n' + '\n'.join(names) + '\n```\n')
    return {'cell_type': 'markdown', 'metadata': {}, 'source': '\n'.join(blocks)}


def sphinx_settings(site: Site) -> dict:
    "conf.py's settings: MyST-NB rendering the stored outputs (never executing), the Furo theme, nothing remote."
    cfg = get_config()
    return dict(
        project=site.title, author=cfg.get('author', ''), copyright=cfg.get('copyright', ''),
        extensions=['myst_nb'], nb_execution_mode='off', nb_output_stderr='remove', nb_merge_streams=True,
        myst_enable_extensions=['attrs_inline', 'attrs_block', 'colon_fence'], myst_heading_anchors=4,
        suppress_warnings=['myst.header'], exclude_patterns=['.doctrees', '**/.ipynb_checkpoints'],
        html_theme='furo', html_title=site.title, html_static_path=['_static'], html_css_files=['docs.css'],
        html_copy_source=False, html_show_sourcelink=False, html_baseurl=site.doc_url,
        html_theme_options={'footer_icons': [{'name': 'GitHub', 'url': site.git_url, 'html': REPOSITORY_LINK, 'class': ''}],
                            'navigation_with_keys': True})


def local_badge(cell: dict, page: Page) -> dict:
    "The cell with Colab's badge image taken from the site itself (the site asks nothing of the network)."
    if cell.get('cell_type') != 'markdown' or BADGE_URL not in str(cell.get('source', '')): return cell
    local = '../' * page.name.count('/') + '_static/' + BADGE.name
    source = cell['source'] if isinstance(cell['source'], str) else ''.join(cell['source'])
    return {**cell, 'source': source.replace(BADGE_URL, local)}


def write_sources(site: Site, folder: Path, staged: dict[str, list[dict]], pages: list[Page]):
    "The Sphinx project: conf.py, the stylesheet, and a notebook per page."
    (folder/'_static').mkdir(parents=True)
    shutil.copy(STYLE, folder/'_static'/'docs.css')
    settings = '\n'.join(f'{key} = {value!r}' for key, value in sphinx_settings(site).items())
    (folder/'conf.py').write_text('# Written by tools/build_docs.py\n' + settings + '\n', encoding='utf-8')
    shutil.copy(BADGE, folder/'_static'/BADGE.name)
    for page in pages:
        cells = [local_badge(c, page) for c in staged[page.name]] + ([toctree_cell(pages)] if page.group == 'home' else [])
        target = folder/(page.name + '.ipynb')
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(notebook_json(cells), indent=1), encoding='utf-8')


def run_sphinx(work: Path, out: Path) -> list[str]:
    """Render the project in `work/'site'` into `out` (replaced); Sphinx's warnings. Sphinx writes in `work/` only
    (MyST-NB puts its files beside its output folder), and the result is moved to `out`."""
    html, log = work/'html', work/'sphinx-warnings.txt'
    status = build_main(['-b', 'html', '-E', '-q', '--keep-going', '-d', str(work/'doctrees'), '-w', str(log),
                         str(work/'site'), str(html)])
    warnings_text = log.read_text(encoding='utf-8') if log.exists() else ''
    if status != 0 and not (html/'index.html').exists(): raise SystemExit(f'Sphinx failed:\n{warnings_text}')
    shutil.rmtree(out, ignore_errors=True)
    shutil.move(str(html), str(out))
    return [line for line in warnings_text.splitlines() if 'WARNING' in line or 'ERROR' in line]


def relative_site_links(site: Site, out: Path) -> int:
    "Links nbdev made to the published site (`{doc_host}{doc_baseurl}/core.html#x`) made relative; how many."
    count = 0
    for html in out.rglob('*.html'):
        text = html.read_text(encoding='utf-8')
        prefix = '../' * (len(html.relative_to(out).parts) - 1)
        new, found = re.subn(r'(<a\s[^>]*?href=")' + re.escape(site.doc_url), lambda m: m.group(1) + prefix, text)
        if found: html.write_text(new, encoding='utf-8'); count += found
    (out/'.nojekyll').touch()  # GitHub Pages serves _static/ and _images/ as they are
    return count


# ---------------------------------------------------------------- the build

def stage_pages(site: Site, pages: list[Page], modules: dict[str, Path], problems: list[str]) -> dict[str, list[dict]]:
    "Every page's cells, ready for Sphinx: the notebooks through nbdev's processing, the generated module pages."
    staged_names = {p.notebook.resolve(): p.name for p in pages if p.notebook}
    staged = {}
    for page in pages:
        started = time.time()
        if page.notebook is None: staged[page.name] = module_page_cells(site, page, modules)
        else: staged[page.name] = staged_cells(process_notebook(site, page, modules, problems), page, staged_names)
        source = shown(page.notebook) if page.notebook else page.module
        print(f'  {source:<45} -> {page.name}.html  ({time.time() - started:.1f} s)', flush=True)
    complete_entries(site, staged, pages, modules)
    return staged


def build(site: Site, keep: bool = False) -> int:
    "Build the site into site.out; 0, or 1 when a notebook could not be processed."
    started, problems = time.time(), []
    if site.out.resolve() == site.root.resolve() or not site.out.resolve().is_relative_to(site.root.resolve()):
        raise SystemExit(f'doc_path must be a folder inside the repository (it is replaced): {site.out}')
    modules = package_modules(site)
    pages = discover_pages(site)
    pages += pages_for_orphans(site, pages, modules)
    print(f'{len(pages)} pages from {shown(site.nbs)}/ ({len(modules)} modules in {shown(site.lib)}/):', flush=True)
    staged = stage_pages(site, pages, modules, problems)
    work = site.root/'_proc'
    shutil.rmtree(work, ignore_errors=True)
    write_sources(site, work/'site', staged, pages)
    sphinx_warnings = run_sphinx(work, site.out)
    relinked = relative_site_links(site, site.out)
    if not keep: shutil.rmtree(work, ignore_errors=True)
    report(pages, sphinx_warnings, problems)
    html = len(list(site.out.rglob('*.html')))
    print(f'wrote {shown(site.out)}/ ({html} HTML files, {relinked} links to the API made relative) '
          f'in {time.time() - started:.0f} s')
    return 1 if problems else 0


def report(pages: list[Page], sphinx_warnings: list[str], problems: list[str]):
    "What the author of the notebooks should know: notes per page, Sphinx's warnings, and the problems."
    notes = [(p, n) for p in pages for n in p.notes]
    if notes: print('\nNotes:')
    for page, note in notes: print(f'  {shown(page.notebook) if page.notebook else page.module}: {note}')
    if sphinx_warnings: print(f'\nSphinx warnings ({len(sphinx_warnings)}):')
    for line in sphinx_warnings: print('  ' + line)
    if problems: print(f'\nProblems ({len(problems)}): these cells broke nbdev\'s processing; their pages were built '
                       'without running show_doc', file=sys.stderr)
    for problem in problems: print('  ' + problem, file=sys.stderr)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--keep', action='store_true', help='keep _proc/: the notebooks as Sphinx reads them (site/), its log')
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    return build(Site.from_config(), keep=args.keep)


if __name__ == '__main__':
    sys.exit(main())
