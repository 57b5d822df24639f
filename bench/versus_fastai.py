"""imgclf's default job against what a user would write instead: plain fastai, for the same wall time.

Runs `imgclf train` with no options but `--data` (a fresh process, timed whole, as a user runs it), then, in the
same run on the same machine and data, the fastai baseline a user would write by hand for the same wall time:
`vision_learner(resnet34)` from scratch at 32 px with fastai's `aug_transforms`, `lr_find` (its valley), and
`fit_one_cycle` for as many epochs as fit what is left of that time (estimated from lr_find's own pace, then
stopped at an epoch boundary if an epoch would overrun). Both are scored on the same labelled test images; the
test labels are read only to score.

    python bench/versus_fastai.py                                   # the bundled sample: about 2 x the default job
    python bench/versus_fastai.py --json bench/results/versus_fastai.json
    python bench/versus_fastai.py --budget 120 --skip-imgclf        # the baseline alone, for a given wall time
"""
import argparse
import json
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


def fastai_baseline(source, budget: float, size: int = 32, bs: int = 64, seed: int = 42) -> dict:
    "fastai's resnet34 from scratch: lr_find, then fit_one_cycle for the epochs that fit `budget` seconds; its test accuracy."
    started = time.time()
    set_seed(seed, reproducible=True)
    loaders = fastai_loaders(source, size, bs)
    learn = vision_learner(loaders, resnet34, pretrained=False, metrics=accuracy)
    found = time.time()
    with learn.no_bar(), learn.no_logging():
        lr = float(learn.lr_find(show_plot=False).valley)
        batches = len(learn.recorder.losses)                            # lr_find stops early when the loss diverges
        pace = (time.time() - found) / max(batches, 1) * (len(source.train) / bs)   # seconds per training epoch
        epochs = max(1, int((budget - (time.time() - started)) / (pace * 1.25)))     # validation and predicting take the rest
        stop = StopBefore(started + budget - pace / 4)
        learn.fit_one_cycle(epochs, lr, cbs=stop)
        valid_accuracy = float(learn.validate()[1])
    names, targets = source.test_targets()
    test = learn.dls.test_dl([source.test_paths[i] for i in names])
    with learn.no_bar(): predicted = learn.get_preds(dl=test)[0].argmax(1).numpy()
    vocab = list(learn.dls.vocab)
    truth = np.array([vocab.index(source.classes[t]) for t in targets])
    return dict(lr=lr, epochs_planned=epochs, epochs=stop.epochs, valid_accuracy=round(valid_accuracy, 4),
                test_accuracy=round(float((predicted == truth).mean()), 4), seconds=round(time.time() - started, 1))


def imgclf_default(data: str, out: Path) -> dict:
    "`imgclf train --data DATA` with nothing else, timed whole: its members, ensemble and wall time."
    command = [sys.executable, '-m', 'imgclf', 'train', '--data', data, '--out', str(out), '--overwrite']
    print('$', ' '.join(command[2:]), flush=True)
    started = time.time()
    subprocess.run(command, check=True)
    wall = time.time() - started
    summary = json.loads((out/'summary.json').read_text())
    members = [dict(name=m['name'], valid_accuracy=m['valid_accuracy'], test_accuracy=m['test_accuracy'], seconds=m['seconds'],
                    sizes=sorted({e['size'] for e in m['history']}), epochs=len(m['history'])) for m in summary['members']]
    return dict(wall_s=round(wall, 1), members=members, ensemble_valid_accuracy=summary['ensemble']['valid_accuracy'],
                ensemble_test_accuracy=summary['ensemble']['test_accuracy'])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default='sample', help="what both train on (default: the bundled sample); it needs labelled test images")
    parser.add_argument('--budget', type=float, help="the baseline's wall time in seconds (default: the default job's)")
    parser.add_argument('--skip-imgclf', action='store_true', help='run the baseline alone (needs --budget)')
    parser.add_argument('--json', type=Path, help='write the figures here')
    args = parser.parse_args()
    if args.skip_imgclf and not args.budget: parser.error('--skip-imgclf needs --budget SECONDS')
    print('machine:', machine(), flush=True)
    source = image_source(args.data, quiet=True)
    if source.test_targets() is None: sys.exit(f'{args.data} has no labelled test images (test/ with test_labels.csv): nothing to score on.')
    result = dict(machine=machine(), data=args.data)
    if not args.skip_imgclf:
        with tempfile.TemporaryDirectory() as folder: result['imgclf'] = imgclf_default(args.data, Path(folder)/'run')
    budget = args.budget or result['imgclf']['wall_s']
    print(f'fastai resnet34 from scratch at 32 px, for {budget:.0f} s', flush=True)
    result['fastai'] = dict(budget_s=budget, **fastai_baseline(source, budget))
    if 'imgclf' in result:
        result['gain'] = round(result['imgclf']['ensemble_test_accuracy'] - result['fastai']['test_accuracy'], 4)
    print(json.dumps(result, indent=1))
    if args.json: args.json.write_text(json.dumps(result, indent=1))


if __name__ == '__main__':
    main()
