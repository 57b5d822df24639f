"""Real scale: imgclf on the full Fashion-MNIST under a time limit, against the dataset's benchmark table.

Runs `imgclf train --data fashion-mnist --time-limit B` once per budget B (a fresh process each, as a user runs it),
times the whole command, reads each run's summary.json, and reports per run: every member's test accuracy and
training time, the ensemble's test accuracy and its gain over the best member, the wall time against the budget,
and the peak resident memory of the command. The test labels are read only to score (the run itself writes them
into summary.json as test accuracy; nothing is chosen on them).

    python bench/scale.py                                   # budgets 300, 600 and 1800 s: about 45 minutes
    python bench/scale.py --budgets 1800 --json bench/results/scale.json --plot bench/results/scale.png
    python bench/scale.py --budgets '' --speeds bench/results/scale_speeds.json   # the candidates' speeds only
    python bench/scale.py --data sample --budgets 60 --archs compact_cnn_small   # the smoke test CI runs

The members default to imgclf's compact CNNs (see nbs/08_cnn.ipynb): on two CPU cores the timm architectures
get a few epochs of 60,000 images at most in 30 minutes (bench/train_speed.py measures them).
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch

MEMBERS = 'compact_cnn_small,compact_cnn,compact_cnn_wide'
CANDIDATES = 'compact_cnn_small,compact_cnn,compact_cnn_wide,simple_cnn_bn_dropout,resnet18,resnet34,efficientnet_b0,densenet121,vgg19_bn'

# Fashion-MNIST's own benchmark table (github.com/zalandoresearch/fashion-mnist, README), test accuracy, for comparison
BENCHMARK = [('Google AutoML (24 compute hours)', 0.939), ('ResNet18', 0.949), ('DenseNet-BC 768K params', 0.954),
             ('WRN-28-10 + random erasing', 0.963), ('WRN40-4 8.9M params', 0.967)]


def machine() -> str:
    "This machine in words: CPU model, the threads torch uses, the GPU if any, torch's version."
    cpu = next((line.split(':', 1)[1].strip() for line in Path('/proc/cpuinfo').read_text().splitlines() if line.startswith('model name')),
               platform.processor()) if Path('/proc/cpuinfo').exists() else platform.processor()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU'
    from imgclf.speed import native_bf16
    bf16 = 'bf16 in hardware' if native_bf16() else 'no bf16 in hardware'   # two CPUs of one name can differ in this
    return f'{cpu} ({bf16}), {torch.get_num_threads()} CPU threads, {gpu}; torch {torch.__version__}'


def speeds(archs: list[str], size: int = 32, bs: int = 64, images: int = 48_000) -> list[dict]:
    "Training images per second of each of `archs` at `size` px on this machine, in its fastest configuration, and epochs of `images` in 30 minutes."
    from imgclf.recipe import TrainingOptions
    from imgclf.speed import candidate_configs, measure_speeds
    rows = []
    for arch in archs:
        measured = measure_speeds(arch, candidate_configs(TrainingOptions(), 'cpu'), size, bs)
        best = max(measured, key=measured.get)
        rows.append(dict(arch=arch, size=size, config=best, img_s=measured[best], epoch_s=round(images / measured[best], 1),
                         epochs_in_30_min=round(1800 / (images / measured[best]), 1)))
        print(f"{arch:>22}: {measured[best]:7.0f} images/s ({best}), {rows[-1]['epoch_s']:6.0f} s an epoch", flush=True)
    return rows


def run_once(budget: float, data: str, archs: str, out: Path, extra: list[str]) -> tuple[float, float, int]:
    "Runs one `imgclf train` with `--time-limit budget`: (wall seconds, peak resident MB of the command, exit status)."
    command = [sys.executable, '-m', 'imgclf', 'train', '--data', data, '--time-limit', str(budget), '--archs', archs,
               '--out', str(out), '--overwrite', *extra]
    print('$', ' '.join(command[2:]), flush=True)
    start = time.time()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.time() - start, usage.ru_maxrss / 1024, process.returncode


def row(budget: float, wall: float, peak_mb: float, summary: dict) -> dict:
    "One budget's results from its run's summary.json."
    members = [dict(name=m['name'], arch=m['arch'], valid_accuracy=m['valid_accuracy'], test_accuracy=m.get('test_accuracy'),
                    seconds=m['seconds'], epochs=len(m['history']), planned_epochs=sum(s['epochs'] for s in m['stages']),
                    sizes=sorted({epoch['size'] for epoch in m['history']}), weight=m.get('weight'),
                    epochs_vs_probe=m['timings'].get('epochs_vs_probe'))
               for m in summary['members']]
    ensemble = summary['ensemble']
    best = max(members, key=lambda m: m['valid_accuracy'])
    return dict(budget_s=budget, wall_s=round(wall, 1), peak_rss_mb=round(peak_mb), members=members,
                ensemble_test_accuracy=ensemble['test_accuracy'], ensemble_valid_accuracy=ensemble['valid_accuracy'],
                best_member=best['name'], gain_over_best_member=round(ensemble['test_accuracy'] - best['test_accuracy'], 4),
                dropped=[*summary.get('time_limit', {}).get('dropped', []), *summary.get('time_limit', {}).get('dropped_while_running', [])],
                machine=summary['machine']['name'], device=summary['machine']['device'])


def table(rows: list[dict]) -> str:
    "The results as a Markdown table, the benchmark's rows after imgclf's."
    lines = ['| | test accuracy | time | peak memory |', '|---|---|---|---|']
    for r in rows:
        members = ', '.join(f"{m['name']} {m['test_accuracy']:.4f} ({m['epochs']} epochs)" for m in r['members'])
        lines.append(f"| imgclf, --time-limit {r['budget_s']:.0f} ({members}) | **{r['ensemble_test_accuracy']:.4f}** "
                     f"| {r['wall_s']:.0f} s | {r['peak_rss_mb']:.0f} MB |")
    lines += [f'| {name} (benchmark table) | {accuracy:.3f} | | |' for name, accuracy in BENCHMARK]
    return '\n'.join(lines)


def plot(rows: list[dict], path: Path | None = None):
    "Test accuracy against wall time: the ensemble and each member per budget, with the benchmark's rows as lines; saved to `path`, else returned."
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    rows = sorted(rows, key=lambda r: r['budget_s'])
    ax.plot([r['wall_s'] / 60 for r in rows], [r['ensemble_test_accuracy'] for r in rows], 'o-', label='imgclf ensemble')
    for r in rows:
        ax.scatter([r['wall_s'] / 60] * len(r['members']), [m['test_accuracy'] for m in r['members']], marker='x', color='grey',
                   label='its members' if r is rows[0] else None)
    for (name, accuracy), style in zip(BENCHMARK, ('--', ':', '-.', '--', ':')):
        ax.axhline(accuracy, linestyle=style, color='tab:red', alpha=0.5, linewidth=1)
        ax.annotate(name, (0, accuracy), xytext=(2, 2), textcoords='offset points', fontsize=7, color='tab:red')
    ax.set(xlabel='wall time of the whole command (minutes)', ylabel='Fashion-MNIST test accuracy', xlim=(0, None),
           title=f'imgclf --time-limit on {rows[0]["machine"]}')
    ax.legend(loc='lower right'); fig.tight_layout()
    if path is None: return fig
    fig.savefig(path, dpi=110); plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default='fashion-mnist', help="what to train on (default: the full Fashion-MNIST)")
    parser.add_argument('--budgets', default='300,600,1800', help='time limits in seconds, one run each (default 300,600,1800)')
    parser.add_argument('--archs', default=MEMBERS, help=f'the members (default {MEMBERS})')
    parser.add_argument('--runs', type=Path, default=Path('bench_runs'), help='folder for the run folders (default bench_runs/)')
    parser.add_argument('--json', type=Path, help='write the rows here (added to what the file holds for other budgets)')
    parser.add_argument('--plot', type=Path, help='draw accuracy against time here (PNG)')
    parser.add_argument('--speeds', type=Path, help=f'first measure the training speed of the candidates ({CANDIDATES}) at 32 px and write it here')
    args, extra = parser.parse_known_args()
    print('machine:', machine(), flush=True)
    if args.speeds: args.speeds.write_text(json.dumps(dict(machine=machine(), rows=speeds(CANDIDATES.split(','))), indent=1))
    rows = []
    for budget in [float(b) for b in args.budgets.split(',') if b]:
        wall, peak, status = run_once(budget, args.data, args.archs, args.runs / f'scale_{budget:.0f}', extra)
        if status != 0: sys.exit(f'imgclf train --time-limit {budget:.0f} failed with exit status {status}')
        rows.append(row(budget, wall, peak, json.loads((args.runs / f'scale_{budget:.0f}' / 'summary.json').read_text())))
        print(f"--time-limit {budget:.0f}: ensemble test {rows[-1]['ensemble_test_accuracy']:.4f} in {wall:.0f} s, "
              f"peak {peak:.0f} MB", flush=True)
    if args.json:
        kept = [r for r in (json.loads(args.json.read_text()) if args.json.exists() else [])
                if r['budget_s'] not in {r['budget_s'] for r in rows} or r['machine'] != rows[0]['machine']]
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(kept + rows, indent=1))
        rows = kept + rows
    if rows: print(table(rows))
    if args.plot and rows:
        import matplotlib; matplotlib.use('Agg')
        plot(rows, args.plot)


if __name__ == '__main__':
    main()
