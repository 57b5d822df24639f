"""Inference speed of a finished run on this machine's CPU: PyTorch against ONNX Runtime.

Latency of one image at a time through `Predictor` (path in, top-5 labels out: reading, preprocessing, the members and
the ensemble), median and 95th percentile, then throughput in images per second for several batch sizes. Trains a
small run on the bundled sample first when no RUN_DIR is given.

    python bench/inference.py                       # a simple_cnn + resnet18 run on the sample, made for the benchmark
    python bench/inference.py RUN_DIR --threads 2   # an existing run
"""
import argparse
import tempfile
import time
import warnings
from pathlib import Path

warnings.filterwarnings('ignore', message='.*torch.jit.script.* is deprecated')

import numpy as np
from PIL import Image

from imgclf.datasets import sample
from imgclf.inference import export_onnx
from imgclf.runtime import Predictor


def latency(predictor, files, repeats: int) -> tuple[float, float]:
    "Median and 95th percentile, in milliseconds, of `predictor.predict(file)` over `repeats` calls."
    predictor.predict(files[0])   # warm up
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        predictor.predict(files[i % len(files)])
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)), float(np.percentile(times, 95))


def throughput(predictor, images, batch_size: int, batches: int) -> float:
    "Images per second of `predict_probabilities` on batches of decoded images."
    predictor.predict_probabilities(images[:batch_size])
    start = time.perf_counter()
    for b in range(batches):
        start_row = (b * batch_size) % (len(images) - batch_size + 1)
        predictor.predict_probabilities(images[start_row:start_row + batch_size])
    return batch_size * batches / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('run_dir', nargs='?', type=Path, help='a finished run (default: train one on the sample)')
    parser.add_argument('--threads', type=int, default=None, help='threads for PyTorch and ONNX Runtime (default: theirs)')
    parser.add_argument('--repeats', type=int, default=200, help='single-image calls timed')
    parser.add_argument('--batch-sizes', default='1,8,32,128')
    args = parser.parse_args()

    run_dir = args.run_dir
    if run_dir is None:
        from imgclf.pipeline import run
        from imgclf.recipe import Recipe
        run_dir = Path(tempfile.mkdtemp())/'run'
        print('training a run on the bundled sample (simple_cnn and resnet18, 2 epochs)...', flush=True)
        run(Recipe.quick(archs=['simple_cnn', 'resnet18'], stages='32:2', lr=2e-3), out=run_dir, quiet=True)
    if not (Path(run_dir)/'onnx'/'ensemble.onnx').exists(): export_onnx(run_dir)
    files = sorted((sample(quiet=True).root/'test').glob('*.png'))
    images = [Image.open(f).convert('RGB') for f in files]
    backends = {name: Predictor(run_dir, backend=name, threads=args.threads) for name in ('torch', 'onnx')}
    members = ', '.join(f"{m['name']} ({m['size']} px)" for m in backends['torch'].model.manifest['members'])
    print(f'run: {run_dir}\nmembers: {members}; threads: {args.threads or "default"}\n')
    print('single image, path in, top-5 out (ms):')
    print(f"  {'backend':10} {'median':>8} {'p95':>8}")
    for name, predictor in backends.items():
        median, p95 = latency(predictor, files, args.repeats)
        print(f'  {name:10} {median:8.2f} {p95:8.2f}')
    print('\nthroughput, decoded images in, probabilities out (images/s):')
    sizes = [int(s) for s in args.batch_sizes.split(',')]
    print(f"  {'batch':>6} " + ' '.join(f'{name:>10}' for name in backends))
    for size in sizes:
        batches = max(2, 512 // size)
        print(f'  {size:6d} ' + ' '.join(f'{throughput(p, images, size, batches):10.0f}' for p in backends.values()))


if __name__ == '__main__':
    main()
