"""Check the built documentation site (`_docs/`) in headless Chromium, without building anything.

Every HTML page is opened with the network refused (as in CI): a problem is any console error, any request to the
network, an image that does not load (natural width 0), a local link to a file that is not in the site (or to an
anchor that is not on that page), a public name (in the `__all__` of a module listed in `imgclf/_modidx.py`) without
an API entry with a source link on its page, a page missing from the sidebar, or a search that finds nothing.

    python tools/check_docs.py                          # check _docs/
    python tools/check_docs.py --screenshots shots/     # also screenshot the home page and an API page

Prints a summary and the problems; exit status 1 if there is any.
"""
from __future__ import annotations

import argparse
import configparser
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imgclf_testing.site import (entry_problems, link_problems, page_problems, public_api, refuse_network,  # noqa: E402
                                 search_problems, sidebar_problems, site_pages, visit)


def settings(root: Path) -> dict:
    "settings.ini's values."
    parser = configparser.ConfigParser(delimiters=['='])
    parser.read(root/'settings.ini', encoding='utf-8')
    return dict(parser['DEFAULT'])


def visit_all(context, docs: Path, pages: list[str]) -> dict:
    "Open every page in one tab; what each showed."
    requested, visited = [], {}
    refuse_network(context, requested)
    tab = context.new_page()
    for page in pages:
        facts = visit(tab, docs, page)
        facts.remote_requests, requested[:] = list(requested), []
        visited[page] = facts
    return visited


def api_page(visited: dict, chosen: str | None) -> str | None:
    "The page to screenshot as an API page: the one asked for, else the first page (sidebar order) with a source link."
    if chosen: return chosen
    order = [href for href in visited['index.html'].sidebar] if 'index.html' in visited else list(visited)
    with_entries = [p for p in visited if any(e['source'] for e in visited[p].entries)]
    return next((p for p in order if p in with_entries), with_entries[0] if with_entries else None)


def screenshots(context, docs: Path, folder: Path, page: str | None) -> list[Path]:
    "The home page and `page` (scrolled to its first API entry), as PNG files in `folder`."
    folder.mkdir(parents=True, exist_ok=True)
    tab, written = context.new_page(), []
    for name, shown in (('home', 'index.html'), ('api', page)):
        if shown is None: continue
        tab.goto((docs/shown).resolve().as_uri(), wait_until='load')
        if name == 'api': tab.evaluate("() => document.querySelector('a.source-link')?.closest('section')?.scrollIntoView()")
        path = folder/f"{name}_{shown.replace('/', '_').removesuffix('.html')}.png"
        tab.screenshot(path=str(path))
        written.append(path)
    return written


def check(docs: Path, shots: Path | None, chosen_api_page: str | None) -> int:
    "Check the site in `docs`; print the summary and the problems; 1 if there are any."
    from playwright.sync_api import sync_playwright
    from imgclf_testing.browser import open_browser
    started, config = time.time(), settings(ROOT)
    pages = site_pages(docs)
    if 'index.html' not in pages: return fail([f'{docs}: no index.html: build the site first (python tools/build_docs.py)'])
    api = public_api(ROOT, config.get('lib_path', 'imgclf'))
    prefix = f"{config['git_url'].rstrip('/')}/blob/{config['branch']}/{config.get('lib_path', 'imgclf')}/"
    with sync_playwright() as playwright:
        browser = open_browser(playwright)
        try:
            context = browser.new_context(viewport={'width': 1280, 'height': 800})
            visited = visit_all(context, docs, pages)
            word = next((name for names in api.values() for name, _ in names), 'import')
            problems = [p for facts in visited.values() for p in page_problems(facts)]
            problems += link_problems(docs, visited) + entry_problems(api, visited, prefix) + sidebar_problems(docs, visited)
            problems += search_problems(context.new_page(), docs, word)
            written = screenshots(context, docs, shots, api_page(visited, chosen_api_page)) if shots else []
        finally: browser.close()
    summary(visited, api, word, written, time.time() - started)
    return fail(problems)


def summary(visited: dict, api: dict, word: str, written: list, seconds: float):
    "What was checked."
    images = sum(len(f.images) for f in visited.values())
    links = sum(len(f.links) for f in visited.values())
    names = sum(len(n) for n in api.values())
    print(f'checked {len(visited)} pages in {seconds:.0f} s: {images} images, {links} links, {names} public names '
          f'of {len(api)} modules, the sidebar, and a search for "{word}"')
    for path in written: print(f'screenshot: {path}')


def fail(problems: list[str]) -> int:
    "Print the problems; the exit status."
    if not problems:
        print('no problems')
        return 0
    print(f'\n{len(problems)} problem(s):', file=sys.stderr)
    for problem in problems: print('  ' + problem, file=sys.stderr)
    return 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--docs', type=Path, default=None, help="the site's folder (default: settings.ini's doc_path)")
    parser.add_argument('--screenshots', type=Path, default=None, help='write screenshots of the home page and an API page here')
    parser.add_argument('--api-page', default=None, help='the API page to screenshot, e.g. core.html (default: the first)')
    args = parser.parse_args(argv)
    docs = args.docs or ROOT/settings(ROOT).get('doc_path', '_docs')
    return check(docs, args.screenshots, args.api_page)


if __name__ == '__main__':
    sys.exit(main())
