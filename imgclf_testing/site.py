"""The documentation site (`_docs/`) checked as a reader's browser shows it: console errors, images, local links,
an API entry for every public name, the sidebar and the search. `tools/check_docs.py` is the command line for it."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .browser import open_browser

SKIPPED_FOLDERS = {'_static', '_images', '_sources', '.doctrees'}
GENERATED_PAGES = {'index.html', 'search.html', 'genindex.html', 'py-modindex.html'}

# What a page shows once loaded: images (lazy ones made to load), links, element ids, API entries, sidebar links.
PAGE_FACTS = """async () => {
  const images = [...document.images];
  images.forEach(i => { i.loading = 'eager'; });
  await Promise.all(images.map(i => i.complete ? null : new Promise(done => {
    i.addEventListener('load', done); i.addEventListener('error', done); setTimeout(done, 15000); })));
  const heading = s => s.querySelector(':scope > h1, :scope > h2, :scope > h3, :scope > h4, :scope > h5, :scope > h6');
  const entries = [...document.querySelectorAll('article section')].filter(heading).map(s => {
    const link = [...s.querySelectorAll('a.source-link')].find(a => a.closest('section') === s);
    return {name: heading(s).textContent.replace(/[\\u00b6#]\\s*$/, '').trim(), source: link ? link.href : null}; });
  return {
    images: images.map(i => ({src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
    entries: entries,
    sidebar: [...document.querySelectorAll('.sidebar-tree a[href]')].map(a => a.getAttribute('href')),
  };
}"""


@dataclass
class PageFacts:
    "What one page showed in the browser."
    path: str                                    # relative to the site's folder, e.g. `tutorials/deployment.html`
    console_errors: list = field(default_factory=list)
    remote_requests: list = field(default_factory=list)
    images: list = field(default_factory=list)
    links: list = field(default_factory=list)
    ids: set = field(default_factory=set)
    entries: list = field(default_factory=list)
    sidebar: list = field(default_factory=list)


def site_pages(docs: Path) -> list[str]:
    "Every HTML page of the site, relative to its folder, the home page first."
    pages = [p.relative_to(docs).as_posix() for p in sorted(docs.rglob('*.html'))
             if not SKIPPED_FOLDERS & set(p.relative_to(docs).parts[:-1])]
    return sorted(pages, key=lambda p: (p != 'index.html', p))


def visit(tab, docs: Path, path: str, timeout: float = 60) -> PageFacts:
    "Open one page of the site in `tab` and gather what it shows; requests to the network are refused and listed."
    facts = PageFacts(path)
    on_console = lambda m: facts.console_errors.append(m.text) if m.type == 'error' else None
    on_error = lambda e: facts.console_errors.append(f'uncaught: {e}')
    tab.on('console', on_console); tab.on('pageerror', on_error)
    try:
        tab.goto((docs/path).resolve().as_uri(), timeout=timeout * 1000, wait_until='load')
        shown = tab.evaluate(PAGE_FACTS)
    finally:
        tab.remove_listener('console', on_console); tab.remove_listener('pageerror', on_error)
    facts.images, facts.links, facts.ids = shown['images'], shown['links'], set(shown['ids'])
    facts.entries, facts.sidebar = shown['entries'], shown['sidebar']
    return facts


def refuse_network(context, requested: list):
    "Make `context` fail every http(s) request, as on a machine without network, and note what was asked for."
    def handle(route):
        url = route.request.url
        if url.startswith(('http://', 'https://')):
            requested.append(url); return route.abort()
        return route.continue_()
    context.route('**/*', handle)


def link_target(docs: Path, page: str, href: str) -> tuple[str, str] | None:
    "The site file (relative path) and anchor a local link points to; None for a remote or anchor-only link."
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith('#') or not parts.path: return None
    target = (docs/page).parent/unquote(parts.path)
    if target.is_dir(): target = target/'index.html'
    try: relative = target.resolve().relative_to(docs.resolve()).as_posix()
    except ValueError: relative = '../' + unquote(parts.path)  # outside the site
    return relative, unquote(parts.fragment)


def link_problems(docs: Path, visited: dict[str, PageFacts]) -> list[str]:
    "Local links whose file is not in the site, or whose anchor is not on the page they point to."
    problems = []
    for page, facts in visited.items():
        for href in sorted(set(facts.links)):
            target = link_target(docs, page, href)
            if target is None: continue
            path, anchor = target
            if not (docs/path).is_file(): problems.append(f'{page}: link to {href}: no such file in the site')
            elif anchor and path in visited and anchor not in visited[path].ids:
                problems.append(f'{page}: link to {href}: {path} has no element with id "{anchor}"')
    return problems


def page_problems(facts: PageFacts) -> list[str]:
    "A page's console errors, requests to the network and images that did not load."
    problems = [f'{facts.path}: console error: {text}' for text in facts.console_errors]
    problems += [f'{facts.path}: asks the network for {url}' for url in sorted(set(facts.remote_requests))]
    problems += [f'{facts.path}: image not loaded (natural width 0): {i["src"]}' for i in facts.images if not i['loaded']]
    return problems


# ---------------------------------------------------------------- the package's public names and their pages

def page_of_notebook(notebook: str) -> str:
    "The page nbdev makes of a notebook (path below nbs/): `00_core.ipynb` -> `core.html`, as nbdev's `_nbpath2html`."
    folder, _, name = notebook.rpartition('/')
    page = re.sub(r'^\d+[a-zA-Z0-9]*_', '', name.lower()).rsplit('.', 1)[0] + '.html'
    return f'{folder}/{page}' if folder else page


def literal_assignment(source: Path, name: str):
    "The value of the top-level `name = <literal>` in a Python file (None if there is none)."
    for node in ast.parse(source.read_text(encoding='utf-8')).body:
        if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    return None


def top_level_names(statements: list) -> list[str]:
    "The names top-level statements bind: definitions, assignments, imports (also inside `if`, `try` and `with`)."
    names = []
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)): names.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)): names += [(a.asname or a.name).split('.')[0] for a in node.names]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names += [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            for part in ('body', 'orelse', 'finalbody'): names += top_level_names(getattr(node, part, []))
    return names


def defining_notebooks(source: Path) -> dict[str, str]:
    "For each top-level name of a module nbdev wrote, the notebook its cell comes from (the `# %% ../nbs/X.ipynb` marks)."
    parts = re.split(r'^# %% (?:\.\./)*nbs/(\S+\.ipynb).*$', source.read_text(encoding='utf-8'), flags=re.MULTILINE)
    found = {}
    for notebook, code in zip(parts[1::2], parts[2::2]):
        try: names = top_level_names(ast.parse(code).body)
        except SyntaxError: continue
        for name in names: found.setdefault(name, notebook)
    return found


def public_api(repo: Path, lib_path: str = 'imgclf') -> dict[str, list[tuple[str, str]]]:
    """Each module of `_modidx.py` with its `__all__` names (as the module's source lists them) and the page that should
    document each: nbdev's link in `_modidx.py`, else the page of the notebook whose cell defines the name."""
    index = literal_assignment(repo/lib_path/'_modidx.py', 'd') or {'syms': {}}
    api = {}
    for module, symbols in index['syms'].items():
        source = repo/(module.replace('.', '/') + '.py')
        if not source.exists(): continue
        notebooks = defining_notebooks(source)
        pages = []
        for name in literal_assignment(source, '__all__') or []:
            link = symbols.get(f'{module}.{name}')
            page = link[0].split('#')[0] if link else page_of_notebook(notebooks.get(name, module.split('.')[-1]))
            pages.append((name, page))
        api[module] = pages
    return api


def entry_problems(api: dict, visited: dict[str, PageFacts], source_prefix: str) -> list[str]:
    "Public names without an API entry (a section headed by the name) on their page, or whose entry has no source link."
    problems = []
    for module, names in api.items():
        for name, page in names:
            facts = visited.get(page)
            entries = [e for e in facts.entries if e['name'] == name] if facts else []
            if facts is None: problems.append(f'{module}.{name}: its page {page} is not in the site')
            elif not entries: problems.append(f'{page}: no API entry for {module}.{name}')
            elif not any(re.match(re.escape(source_prefix) + r'\S+\.py#L\d+$', e['source'] or '') for e in entries):
                problems.append(f'{page}: the entry of {module}.{name} has no source link to a line in {source_prefix}')
    return problems


def sidebar_problems(docs: Path, visited: dict[str, PageFacts]) -> list[str]:
    "Pages that the home page's sidebar does not list."
    home = visited.get('index.html')
    if home is None: return ['index.html: the site has no home page']
    listed = {t[0] for t in (link_target(docs, 'index.html', href) for href in home.sidebar) if t}
    return [f'{page}: not in the sidebar' for page in visited
            if page not in GENERATED_PAGES and page not in listed]


def search_problems(tab, docs: Path, word: str, timeout: float = 30) -> list[str]:
    "The site's search, asked for `word`: a problem unless it lists at least one page."
    url = (docs/'search.html').resolve().as_uri() + f'?q={word}'
    try:
        tab.goto(url, timeout=timeout * 1000, wait_until='load')
        tab.wait_for_selector('ul.search li', timeout=timeout * 1000)
    except Exception as error:
        return [f'search.html?q={word}: no results ({type(error).__name__})']
    return []
