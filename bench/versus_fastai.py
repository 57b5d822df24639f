"""imgclf's default job against what a user would write instead: plain fastai, for the same wall time.

Runs `imgclf train` with no options but `--data` and `--seed` (a fresh process with a fresh IMGCLF_HOME, timed whole,
as a new user runs it: its speed probes and image cache count), then, in the same run on the same machine and data,
the fastai baseline a user would write by hand for the same wall time: `vision_learner(resnet34)` from scratch at
32 px with fastai's `aug_transforms`, `lr_find` (its valley), and `fit_one_cycle` for as many epochs as fit what is
left of that time (one epoch of training and validation timed first, the weights put back, then stopped at an epoch
boundary if an epoch would overrun).
Both are scored on the same labelled test images, and the gain (imgclf's test accuracy minus fastai's) is given with
its standard error, paired image by image; with `--seeds`, once per seed (both sides take it), and the median gain.
The test labels are read only to score. Each imgclf run also records where its time went: planning (the speed
probes), the members' lr_find, training and predictions, and the rest.

    python bench/versus_fastai.py                                   # the bundled sample: about 2 x the default job
    python bench/versus_fastai.py --seeds 42,1,2 --json bench/results/versus_fastai.json   # three pairs: an hour (AMX) to 75 minutes (AVX2)
    python bench/versus_fastai.py --budget 120 --skip-imgclf        # the baseline alone, for a given wall time
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings('ignore')

import numpy as np
import pandas as pd
from fastai.callback.core import Callback, CancelFitException
from fastai.torch_core import set_seed
from fastai.vision.all import (CategoryBlock, ColReader, ColSplitter, DataBlock, ImageBlock, Resize, accuracy, aug_transforms,
                               resnet34, vision_learner)

sys.path.insert(0, str(Path(__file__).parent))
from scale import machine   # bench/scale.py: the machine in words

from imgclf.core import ImgclfError, write_atomic
from imgclf.datasets import image_source


class StopBefore(Callback):
    "Stop fitting at an epoch boundary when another epoch would end after `at` (a `time.time()`)."
    order = 90
    def __init__(self, at: float): self.at, self.epochs = at, 0
    def before_epoch(self): self.started = time.time()
    def after_epoch(self):
        self.epochs += 1
        if time.time() + (time.time() - self.started) > self.at: raise CancelFitException()


def fastai_loaders(source, size: int = 32, bs: int = 64):
    "The DataLoaders a fastai user writes for labelled files: a DataBlock over a table, `Resize`, fastai's `aug_transforms`."
    table = pd.DataFrame(dict(path=[*source.paths('train'), *source.paths('valid')],
                              label=[*source.train.label, *source.valid.label], is_valid=[False] * len(source.train) + [True] * len(source.valid)))
    block = DataBlock(blocks=(ImageBlock, CategoryBlock), get_x=ColReader('path'), get_y=ColReader('label'), splitter=ColSplitter('is_valid'),
                      item_tfms=Resize(size), batch_tfms=aug_transforms())
    return block.dataloaders(table, bs=bs, num_workers=0)


def timed_epoch(learn, lr: float) -> float:
    "Seconds of one epoch of training and validation of `learn` at `lr`, its weights (batchnorm statistics included) and optimiser put back afterwards."
    weights = {k: v.clone() for k, v in learn.model.state_dict().items()}
    started = time.time()
    learn.fit(1, lr)
    seconds = time.time() - started
    learn.model.load_state_dict(weights)
    learn.create_opt()
    return seconds


def fastai_baseline(source, budget: float, size: int = 32, bs: int = 64, seed: int = 42) -> tuple[dict, np.ndarray]:
    "fastai's resnet34 from scratch: lr_find, then fit_one_cycle for the epochs that fit `budget` seconds (one epoch timed first); its figures, and whether it got each labelled test image right."
    started = time.time()
    set_seed(seed, reproducible=True)
    loaders = fastai_loaders(source, size, bs)
    learn = vision_learner(loaders, resnet34, pretrained=False, metrics=accuracy)
    with learn.no_bar(), learn.no_logging():
        lr = float(learn.lr_find(show_plot=False).valley)
        pace = timed_epoch(learn, lr)                                   # training and validation, as the fit will run them
        predicting = pace * len(source.test_files) / (3 * len(source.train))   # the test images, forward only
        epochs = max(1, int((budget - (time.time() - started) - predicting) / pace))
        stop = StopBefore(started + budget - predicting)                # a guard: stops at an epoch boundary if the pace was wrong
        learn.fit_one_cycle(epochs, lr, cbs=stop)
        valid_accuracy = float(learn.validate()[1])
    names, targets = source.test_targets()
    test = learn.dls.test_dl([source.test_paths[i] for i in names])
    with learn.no_bar(): predicted = learn.get_preds(dl=test)[0].argmax(1).numpy()
    vocab = list(learn.dls.vocab)
    right = predicted == np.array([vocab.index(source.classes[t]) for t in targets])
    return dict(seed=seed, lr=lr, epochs_planned=epochs, epochs=stop.epochs, valid_accuracy=round(valid_accuracy, 4),
                test_accuracy=round(float(right.mean()), 4), seconds=round(time.time() - started, 1)), right


def imgclf_default(source, data: str, out: Path, seed: int = 42, options: str = '') -> tuple[dict, np.ndarray]:
    "`imgclf train --data DATA --seed SEED` with nothing else (but `options`), in a fresh IMGCLF_HOME, timed whole: its members, ensemble and wall time, and whether it got each labelled test image of `source` right."
    command = [sys.executable, '-m', 'imgclf', 'train', '--data', data, '--out', str(out), '--overwrite', '--seed', str(seed), *shlex.split(options)]
    print('$', ' '.join(command[2:]), flush=True)
    started = time.time()
    subprocess.run(command, check=True, env=dict(os.environ, IMGCLF_HOME=str(out.parent/'home')))
    wall = time.time() - started
    summary = json.loads((out/'summary.json').read_text())
    members = [dict(name=m['name'], valid_accuracy=m['valid_accuracy'], test_accuracy=m['test_accuracy'], seconds=m['seconds'],
                    sizes=sorted({e['size'] for e in m['history']}), epochs=len(m['history']), weight=round(m['weight'], 4),
                    **{f'{part}_s': m['timings'].get(part) for part in ('lr_find', 'train', 'predict')}) for m in summary['members']]
    names, targets = source.test_targets()
    labels = pd.read_csv(out/'predictions.csv').set_index('file').label
    right = np.array([labels[source.test_names[i]] == source.classes[t] for i, t in zip(names, targets)])
    return dict(seed=seed, wall_s=round(wall, 1), members=members, ensemble_valid_accuracy=summary['ensemble']['valid_accuracy'],
                ensemble_test_accuracy=summary['ensemble']['test_accuracy'], pruned=summary['ensemble'].get('pruned'),
                time=time_spent(summary, members, wall)), right


def time_spent(summary: dict, members: list[dict], wall: float) -> dict:
    "Where the wall time of a run went, in seconds: planning (speed probes), the members' lr_find, training and predictions, and the rest (start-up, exports, ensembling, results)."
    budget = summary.get('time_target') or summary.get('time_limit') or {}   # recorded where a time target or a limit planned the run
    planning = budget.get('planned_after_seconds') or 0.0
    parts = dict(planning=planning, **{part: sum(m[f'{part}_s'] or 0.0 for m in members) for part in ('lr_find', 'train', 'predict')})
    return {name: round(seconds, 1) for name, seconds in dict(parts, rest=wall - sum(parts.values())).items()}


def paired_gain(ours: np.ndarray, theirs: np.ndarray) -> tuple[float, float]:
    "Test accuracy of `ours` minus `theirs` (whether each got each image right) and its standard error, paired image by image."
    difference = ours.astype(float) - theirs.astype(float)
    return round(float(difference.mean()), 4), round(float(difference.std(ddof=1) / np.sqrt(len(difference))), 4)


def one_pair(args, source, seed: int) -> dict:
    "imgclf's default job and the fastai baseline for its wall time (or `--budget`), both with `seed`."
    pair = dict(seed=seed)
    if not args.skip_imgclf:
        with tempfile.TemporaryDirectory() as folder: pair['imgclf'], ours = imgclf_default(source, args.data, Path(folder)/'run', seed, args.options)
    budget = args.budget or pair['imgclf']['wall_s']
    print(f'fastai resnet34 from scratch at 32 px, for {budget:.0f} s, seed {seed}', flush=True)
    fastai, theirs = fastai_baseline(source, budget, seed=seed)
    pair['fastai'] = dict(budget_s=budget, **fastai)
    if 'imgclf' in pair: pair['gain'], pair['gain_se'] = paired_gain(ours, theirs)
    return pair


def seed_list(text: str) -> list[int]:
    "`--seeds`: comma-separated whole numbers."
    try: return [int(seed) for seed in text.split(',')]
    except ValueError: raise argparse.ArgumentTypeError(f'{text!r}: give whole numbers separated by commas, e.g. 42,1,2') from None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default='sample', help="what both train on (default: the bundled sample); it needs labelled test images")
    parser.add_argument('--seeds', type=seed_list, default=[42], help='comma-separated seeds: one pair of runs each (default: 42, the recipe\'s)')
    parser.add_argument('--options', default='', help="more `imgclf train` options, e.g. '--archs resnet34' (default: none, the default job)")
    parser.add_argument('--budget', type=float, help="the baseline's wall time in seconds (default: the default job's)")
    parser.add_argument('--skip-imgclf', action='store_true', help='run the baseline alone (needs --budget)')
    parser.add_argument('--json', type=Path, help='write the figures here')
    args = parser.parse_args()
    if args.skip_imgclf and not args.budget: parser.error('--skip-imgclf needs --budget SECONDS')
    print('machine:', machine(), flush=True)
    try: source = image_source(args.data, quiet=True)
    except ImgclfError as error: sys.exit(f'bench/versus_fastai.py: {error}')
    if source.test_targets() is None: sys.exit(f'{args.data} has no labelled test images (test/ with test_labels.csv): nothing to score on.')
    result = dict(machine=machine(), data=args.data, options=args.options, pairs=[])
    for seed in args.seeds:
        result['pairs'].append(one_pair(args, source, seed))
        if not args.skip_imgclf: result['median_gain'] = round(statistics.median(p['gain'] for p in result['pairs']), 4)
        if args.json: write_atomic(args.json, result)   # each pair kept as it finishes
    print(json.dumps(result, indent=1))


if __name__ == '__main__':
    main()
