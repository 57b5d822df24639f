"""How many mini-batches `lr_find` needs: each member's suggestion and cost at a few iteration counts, against a long run.

imgclf runs fastai's `lr_find` once per member (`--lr-find-iterations`, 50 by default) from 1e-6 to 1, and takes the
geometric mean of its valley and minimum suggestions (`imgclf.member.find_learning_rate`). On a small dataset that is
not free: 50 batches of 64 are more images than one epoch of the bundled sample's 3,000. This script builds each
architecture as a member would be built (imgclf's `member_learner`, its loaders at the first stage's size, the
speed configuration its probe would choose), runs `lr_find` at each of `--iterations` (each with its own seed, the
same for every architecture) and a long reference run, and prints the learning rate each finds, its ratio to the
reference's, and the seconds it took.

    python bench/lr_find.py                                   # densenet121, resnet34, efficientnet_b0: about 10 minutes on two cores
    python bench/lr_find.py --archs vgg19_bn --json out.json   # VGG19-BN alone: about 8 minutes
"""
import argparse
import json
import math
import statistics
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings('ignore')

from fastai.torch_core import set_seed

sys.path.insert(0, str(Path(__file__).parent))
from scale import machine   # bench/scale.py: the machine in words

from imgclf.core import write_atomic
from imgclf.datasets import image_source
from imgclf.loaders import image_stats
from imgclf.member import find_learning_rate, loaders_by_size, member_learner
from imgclf.plan import native_size, stage_sizes
from imgclf.models import create_model, smallest_size
from imgclf.recipe import Recipe
from imgclf.speed import choose_speed


def found(source, recipe: Recipe, arch: str, size: int, iterations: int, seed: int, device: str = 'cpu') -> dict:
    "The learning rate `lr_find` finds for a fresh `arch` member in `iterations` mini-batches at `size` px, and the seconds it took."
    stats = image_stats(source, size, recipe.data)
    loaders = loaders_by_size(source, recipe, stats, device, True)(size)
    config = choose_speed(arch, recipe.training, size, recipe.training.bs, len(source.classes), device).config
    set_seed(seed, reproducible=True)
    learn = member_learner(loaders, arch, recipe, size=size, speed=config)
    started = time.time()
    with learn.no_bar(), learn.no_logging():
        lr = find_learning_rate(learn, recipe.changed(lr_find_iterations=iterations))
    return dict(arch=arch, size=size, config=config.name, iterations=iterations, seed=seed, lr=lr,
                seconds=round(time.time() - started, 1), batches=len(learn.recorder.lrs))


def spread(rows: list[dict], reference: float) -> float:
    "The largest factor between a suggestion of `rows` and the `reference` learning rate (1: the same)."
    return max(math.exp(abs(math.log(r['lr'] / reference))) for r in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--archs', default='densenet121,resnet34,efficientnet_b0')
    parser.add_argument('--iterations', default='25,50', help='the iteration counts to try, each twice (two seeds)')
    parser.add_argument('--reference', type=int, default=100, help="the long run's iterations (fastai's default)")
    parser.add_argument('--json', type=Path, help='write the rows and the machine here')
    args = parser.parse_args()
    source, recipe = image_source('sample', quiet=True), Recipe()
    native = native_size(source)
    print(machine(), flush=True)
    print(f'{source}: one epoch is {math.ceil(len(source.train) / recipe.training.bs)} mini-batches of {recipe.training.bs}')
    rows, summary = [], []
    for arch in args.archs.split(','):
        size = stage_sizes(native, 'cpu', smallest_size(create_model(arch, 2), 8) or 8)[0]
        reference = found(source, recipe, arch, size, args.reference, 0)
        rows.append(reference)
        print(f"{arch} at {size} px ({reference['config']}): {args.reference} batches find {reference['lr']:.2e} in {reference['seconds']:.0f} s", flush=True)
        for iterations in (int(i) for i in args.iterations.split(',')):
            tries = [found(source, recipe, arch, size, iterations, seed) for seed in (1, 2)]
            rows += tries
            factor = spread(tries, reference['lr'])
            summary.append(dict(arch=arch, iterations=iterations, largest_factor=round(factor, 2),
                                seconds=statistics.median(t['seconds'] for t in tries)))
            found_rates = ', '.join(f"{t['lr']:.2e}" for t in tries)
            print(f"  {iterations:3d} batches: {found_rates}; at most {factor:.1f}x from the reference; {summary[-1]['seconds']:.0f} s", flush=True)
    if args.json: write_atomic(args.json, dict(machine=machine(), data=str(source), rows=rows, summary=summary))


if __name__ == '__main__':
    main()
