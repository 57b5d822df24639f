"""Each ensemble method against its best member, on a Fashion-MNIST subset.

Trains the members once on a subset of Fashion-MNIST (Debian's `dataset-fashion-mnist` package), then builds the
three ensembles from their saved probabilities and prints, for each method, its validation and test accuracy and
log-loss next to the best single member's (the best by validation accuracy, as a user would have to pick it).

    python bench/ensembles.py                                   # 500 train, 200 valid, 200 test images per class
    python bench/ensembles.py --train 300 --archs simple_cnn,resnet10t --stages 32:4
    python bench/ensembles.py --run /tmp/.../run                # the ensembles again, on an earlier run's members
"""
import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings('ignore', message='.*torch.jit.script.* is deprecated')

import numpy as np
import pandas as pd
from PIL import Image

from imgclf.data import from_folder
from imgclf.datasets import FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, read_fashion_mnist
from imgclf.ensemble import build_ensemble, mean_log_loss
from imgclf.evaluate import test_accuracy
from imgclf.member import load_member
from imgclf.pipeline import run
from imgclf.recipe import EnsembleOptions, Recipe

ARCHS = 'simple_cnn,simple_cnn_bn_dropout,simple_cnn_tanh,resnet10t,resnet18'


def subset_folder(dest: Path, train: int, valid: int, test: int, seed: int = 0, source: Path = FASHION_MNIST_DIR) -> Path:
    "Write `train` and `valid` images per class from Fashion-MNIST's training set and `test` per class from its test set."
    rng = np.random.default_rng(seed)
    x, y = read_fashion_mnist(source, 'train')
    for label, name in enumerate(FASHION_MNIST_CLASSES):
        rows = rng.permutation(np.flatnonzero(y == label))[:train + valid]
        for part, chosen in (('train', rows[:train]), ('valid', rows[train:])):
            folder = dest/part/name
            folder.mkdir(parents=True, exist_ok=True)
            for i in chosen: Image.fromarray(x[i]).save(folder/f'{i:05d}.png')
    x, y = read_fashion_mnist(source, 't10k')
    rows = np.concatenate([rng.permutation(np.flatnonzero(y == label))[:test] for label in range(len(FASHION_MNIST_CLASSES))])
    (dest/'test').mkdir(parents=True, exist_ok=True)
    for i in rows: Image.fromarray(x[i]).save(dest/'test'/f'{i:05d}.png')
    pd.DataFrame({'file': [f'{i:05d}.png' for i in rows], 'label': [FASHION_MNIST_CLASSES[y[i]] for i in rows]}).to_csv(
        dest/'test_labels.csv', index=False)
    return dest


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--train', type=int, default=500, help='training images per class')
    parser.add_argument('--valid', type=int, default=200, help='validation images per class')
    parser.add_argument('--test', type=int, default=200, help='test images per class')
    parser.add_argument('--archs', default=ARCHS)
    parser.add_argument('--stages', default='32:6')
    parser.add_argument('--seed', type=int, default=42)
    parser.add_argument('--run', type=Path, help="reuse the members of an earlier run of this script (its printed run folder)")
    args = parser.parse_args()

    if args.run is None:
        work = Path(tempfile.mkdtemp())
        data = subset_folder(work/'data', args.train, args.valid, args.test, args.seed)
        recipe = Recipe.quick(archs=args.archs.split(','), stages=args.stages, pretrained=False, seed=args.seed)
        started = time.time()
        result = run(recipe, data, work/'run', quiet=True)
        members, source = result.members, result.source
        print(f'Fashion-MNIST subset: {args.train} train, {args.valid} valid, {args.test} test images per class; '
              f'members trained in {time.time() - started:.0f} s (run folder {work/"run"})\n')
    else:
        summary = json.loads((args.run/'summary.json').read_text())
        source = from_folder(summary['data']['root'], quiet=True)
        members = [load_member(args.run/'members'/m['name']) for m in summary['members']]
        print(f'members of {args.run}: {", ".join(m.name for m in members)}\n')

    targets = source.test_targets()
    if targets is None: raise SystemExit(f'{source.root}: the test images have no labels (test_labels.csv), so there is nothing to compare.')
    valid_targets = source.targets('valid')
    rows, test_rows = targets
    def scores(valid_probs, test_probs):
        return dict(valid_accuracy=float((valid_probs.argmax(1) == valid_targets).mean()), test_accuracy=test_accuracy(test_probs, source),
                    test_log_loss=mean_log_loss(test_probs[rows], test_rows))
    table = [dict(name=m.name, **scores(m.valid_probs, m.test_probs)) for m in members]
    best = max(members, key=lambda m: m.valid_accuracy)
    best_test = test_accuracy(best.test_probs, source)
    for method in ('weighted', 'greedy', 'stacking'):
        started = time.time()
        ensemble = build_ensemble(members, valid_targets, EnsembleOptions(method=method), seed=args.seed)
        seconds = time.time() - started
        table.append(dict(name=f'ensemble {method}', **scores(ensemble.valid_probs, ensemble.test_probs),
                          gain_over_best_member=test_accuracy(ensemble.test_probs, source) - best_test,
                          build_seconds=round(seconds, 2),
                          weights=' '.join(f'{w:.2f}' for w in ensemble.weights)))
    shown = pd.DataFrame(table).set_index('name')
    print(shown.to_string(float_format=lambda v: f'{v:.4f}', na_rep=''))
    print(f'\nbest member by validation accuracy: {best.name} (test accuracy {best_test:.4f}); '
          f'weights are in member order: {", ".join(m.name for m in members)}')


if __name__ == '__main__':
    main()
