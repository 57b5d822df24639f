"""Where the time of an imgclf run goes.

Times the data pipeline alone (one pass over the training DataLoader at each stage's size, augmentation included;
with 'auto' stages, at each size the run plans for its members), then a whole run, and prints per member: lr_find,
training (images per second), prediction, and the ensemble.

    python bench/pipeline.py                         # the default recipe on the bundled sample
    python bench/pipeline.py --archs resnet18 --stages 32:1 --data path/to/folder
"""
import argparse
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings('ignore', message='.*torch.jit.script.* is deprecated')

import torch
from fastai.torch_core import set_seed

from imgclf.datasets import image_source
from imgclf.ensemble import build_ensemble
from imgclf.loaders import dataloaders, image_stats
from imgclf.models import create_model, smallest_size
from imgclf.pipeline import check_device, default_recipe, run
from imgclf.plan import native_size, stage_sizes


def stage_sizes_of(source, recipe, device=None) -> list[int]:
    "The image sizes the run trains at: the recipe's stages, or with 'auto' those the plan chooses for each member on `device`."
    if recipe.training.stages != 'auto': return list(dict.fromkeys(s.size for s in recipe.training.stages))
    native, device_type = native_size(source), check_device(device).type
    return sorted({size for _, arch, _ in recipe.member_specs()
                   for size in stage_sizes(native, device_type, smallest_size(create_model(arch, 2), 8) or 8)})


def data_pipeline(source, recipe, device=None) -> list[dict]:
    "Images per second of one epoch of the training DataLoader alone (decode, resize, augment, normalise) per stage size."
    rows = []
    for size in stage_sizes_of(source, recipe, device):
        set_seed(recipe.seed)
        stats = image_stats(source, size, recipe.data)
        dls = dataloaders(source, size, recipe.training.bs, recipe.data, stats, device, quiet=True)
        start, images = time.time(), 0
        for xb, _ in dls.train: images += len(xb)
        seconds = time.time() - start
        rows.append(dict(size=size, images=images, seconds=seconds, per_second=images / seconds))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default=None, help="folder, CSV, 'sample' (default), 'cifar10' or 'fashion-mnist'")
    parser.add_argument('--archs', help='comma-separated architectures (default: the recipe for this machine)')
    parser.add_argument('--stages', help='size:epochs,... (default: the recipe\'s)')
    parser.add_argument('--device', default=None)
    args = parser.parse_args()
    recipe = default_recipe(args.device)
    if args.archs: recipe = recipe.changed(archs=args.archs.split(','))
    if args.stages: recipe = recipe.changed(stages=args.stages)
    recipe.check()
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device or ("cuda" if torch.cuda.is_available() else "cpu")}')

    source = image_source(args.data, recipe.data.valid_pct, recipe.seed, quiet=True, allow_outside=recipe.data.allow_outside)
    print(f'{source}\n')
    print('data pipeline alone (one pass over the training set, augmented):')
    for row in data_pipeline(source, recipe, args.device):
        print(f"  {row['size']:>4} px  {row['images']:>6} images  {row['seconds']:7.2f} s  {row['per_second']:8.0f} images/s")

    with tempfile.TemporaryDirectory() as out:
        start = time.time()
        result = run(recipe, data=args.data, out=Path(out)/'run', quiet=True, device=args.device)
        total = time.time() - start
    n_train, bs = len(result.source.train), max(1, min(recipe.training.bs, len(result.source.train)))
    print('\nper member:')
    print(f"  {'member':<18}{'lr_find s':>10}{'train s':>9}{'train img/s':>13}{'predict s':>11}{'total s':>9}{'valid acc':>11}")
    for m in result.members:
        train_images = (n_train // bs) * bs * len(m.history)  # fastai drops the last partial batch
        train_seconds = sum(row['train_seconds'] for row in m.history)
        print(f"  {m.name:<18}{m.timings.get('lr_find', 0.0):>10.1f}{m.timings['train']:>9.1f}{train_images / train_seconds:>13.0f}"
              f"{m.timings['predict']:>11.1f}{m.seconds:>9.1f}{m.valid_accuracy:>11.4f}")
    targets = result.source.targets('valid')
    start = time.time()
    for _ in range(10): build_ensemble(result.members, targets, result.recipe.ensemble, result.recipe.seed)
    print(f"\nensemble vote (valid {len(targets)} + test {len(result.source.test_files)} images): "
          f"{(time.time() - start) / 10 * 1000:.1f} ms; ensemble valid accuracy {result.ensemble.valid_accuracy:.4f}, "
          f"test accuracy {result.summary['ensemble']['test_accuracy']}")
    print(f'whole run: {total:.0f} s')


if __name__ == '__main__':
    main()
