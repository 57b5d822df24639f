"""Give every notebook an "Open in Colab" badge and a cell that installs imgclf where it is missing.

Both go right under the notebook's title cell (nbdev reads the title and summary from the first cell). The install
cell is hidden from the docs site (`#| hide`) and does nothing where imgclf is importable, so the tests and the docs
build never install anything.

    python tools/colab_cells.py           # add or update the two cells in nbs/**/*.ipynb
    python tools/colab_cells.py --check   # exit 1 naming the notebooks that lack them or have them out of date
"""
import argparse
import sys
from pathlib import Path

from execnb.nbio import mk_cell, read_nb, write_nb
from nbdev.config import get_config

BADGE_MARK, INSTALL_MARK = 'colab-badge.svg', '# imgclf where it is missing'
INSTALL = f"""#| hide
{INSTALL_MARK} (Colab, a fresh Jupyter): the released package, with the PyTorch already there
try: import imgclf
except ImportError:
    import subprocess, sys
    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', 'imgclf'], check=True)"""


def badge(notebook: Path, root: Path, repository: str, branch: str) -> str:
    "The badge's Markdown: Colab opens the notebook from GitHub."
    path = notebook.relative_to(root).as_posix()
    return (f'[![Open In Colab](https://colab.research.google.com/assets/{BADGE_MARK})]'
            f'(https://colab.research.google.com/github/{repository}/blob/{branch}/{path})')


def with_cells(cells: list, badge_text: str) -> list:
    "`cells` with the badge and the install cell right after the title cell, replacing older copies."
    rest = [c for c in cells[1:] if BADGE_MARK not in c['source'] and INSTALL_MARK not in c['source']]
    return [cells[0], mk_cell(badge_text, 'markdown'), mk_cell(INSTALL, 'code'), *rest]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true', help='only check, writing nothing')
    args = parser.parse_args(argv)
    cfg = get_config()
    root, nbs = Path(cfg.config_path), Path(cfg.nbs_path)
    repository, branch = cfg.git_url.rstrip('/').split('github.com/')[-1], cfg.branch
    stale = []
    for notebook in sorted(nbs.rglob('*.ipynb')):
        if '.ipynb_checkpoints' in notebook.parts: continue
        nb = read_nb(notebook)
        cells = with_cells(nb.cells, badge(notebook, root, repository, branch))
        if [(c['cell_type'], c['source']) for c in cells] == [(c['cell_type'], c['source']) for c in nb.cells]: continue
        stale.append(notebook)
        if not args.check:
            nb.cells = cells
            write_nb(nb, notebook)
    if args.check and stale:
        print('no Colab badge and install cell (run python tools/colab_cells.py):', *map(str, stale), sep='\n  ', file=sys.stderr)
        return 1
    print(f'{len(stale)} notebook(s) {"to update" if args.check else "updated"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
