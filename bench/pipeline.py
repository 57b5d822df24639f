"""Where the time of an imgclf run goes.

Times the data pipeline alone (one pass over the training DataLoader at each stage's size, augmentation included),
then a whole run, and prints per member: lr_find, training (images per second), prediction, and the ensemble.

    python bench/pipeline.py                         # the quick recipe on the bundled sample
    python bench/pipeline.py --archs resnet18 --stages 32:1 --data path/to/folder
"""
import argparse
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings('ignore', message='.*torch.jit.script.* is deprecated')

import numpy as np
import torch
from fastai.torch_core import set_seed

from imgclf.data import dataloaders, image_source, image_stats
from imgclf.ensemble import build_ensemble
from imgclf.pipeline import default_recipe, run
from imgclf.train import parse_stages


def data_pipeline(source, recipe, device=None) -> list[dict]:
    "Images per second of one epoch of the training DataLoader alone (decode, resize, augment, normalise) per stage size."
    rows = []
    for stage in recipe.stages:
        set_seed(recipe.seed)
        stats = image_stats(source, stage.size)
        dls = dataloaders(source, stage.size, recipe.bs, recipe.augmentation, stats, recipe.workers, device)
        start, images = time.time(), 0
        for xb, _ in dls.train: images += len(xb)
        seconds = time.time() - start
        rows.append(dict(size=stage.size, images=images, seconds=seconds, per_second=images / seconds))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default=None, help="folder, CSV, 'sample' (default), 'cifar10' or 'fashion-mnist'")
    parser.add_argument('--archs', help='comma-separated architectures (default: the recipe for this machine)')
    parser.add_argument('--stages', help='size:epochs,... (default: the recipe\'s)')
    parser.add_argument('--device', default=None)
    args = parser.parse_args()
    recipe = default_recipe(args.device)
    if args.archs: recipe.archs = args.archs.split(',')
    if args.stages: recipe.stages = parse_stages(args.stages)
    recipe.check()
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device or ("cuda" if torch.cuda.is_available() else "cpu")}')

    source = image_source(args.data, recipe.valid_pct, recipe.seed, quiet=True)
    print(f'{source}\n')
    print('data pipeline alone (one pass over the training set, augmented):')
    for row in data_pipeline(source, recipe, args.device):
        print(f"  {row['size']:>4} px  {row['images']:>6} images  {row['seconds']:7.2f} s  {row['per_second']:8.0f} images/s")

    with tempfile.TemporaryDirectory() as out:
        start = time.time()
        result = run(recipe, data=args.data, out=Path(out)/'run', quiet=True, device=args.device)
        total = time.time() - start
    n_train = len(result.source.train)
    print('\nper member:')
    print(f"  {'member':<18}{'lr_find s':>10}{'train s':>9}{'train img/s':>13}{'predict s':>11}{'total s':>9}{'valid acc':>11}")
    for m in result.members:
        train_images = (n_train // recipe.bs) * recipe.bs * len(m.history)  # fastai drops the last partial batch
        train_seconds = sum(row['train_seconds'] for row in m.history)
        print(f"  {m.name:<18}{m.timings['lr_find']:>10.1f}{m.timings['train']:>9.1f}{train_images / train_seconds:>13.0f}"
              f"{m.timings['predict']:>11.1f}{m.seconds:>9.1f}{m.valid_accuracy:>11.4f}")
    targets = np.array([result.source.classes.index(label) for label in result.source.valid.label])
    start = time.time()
    for _ in range(10): build_ensemble(result.members, targets, recipe.threshold)
    print(f"\nensemble vote (valid {len(targets)} + test {len(result.source.test_files)} images): "
          f"{(time.time() - start) / 10 * 1000:.1f} ms; ensemble valid accuracy {result.ensemble.valid_accuracy:.4f}, "
          f"test accuracy {result.summary['ensemble']['test_accuracy']}")
    print(f'whole run: {total:.0f} s')


if __name__ == '__main__':
    main()
