"""Two PyTorch training processes at once on one machine: each with PyTorch's default threads, against one thread each.

`nbdev_test` runs one notebook per core at the same time, and each notebook that trains is a PyTorch process. By
default each such process starts as many threads as the machine has cores, so two of them on two cores fight over
both: this script measures what that costs, which is why the README's test command sets `OMP_NUM_THREADS=1`. It
trains `--arch` (imgclf's `training_step`: the bare loop of bench/train_speed.py) on a random batch, first alone with
the default threads, then two processes at once with the default threads, then two at once with one thread each,
and prints each process's training images per second and the machine.

    python bench/threads.py                       # resnet18 at 32 px, batches of 64
    python bench/threads.py --arch resnet34 --steps 20
"""
import argparse
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings('ignore')


def worker(arch: str, size: int, bs: int, steps: int) -> float:
    "Training images per second of `arch` in this process, after three warm-up steps."
    import torch
    from imgclf.models import create_model
    from imgclf.speed import SpeedConfig, training_step
    step = training_step(create_model(arch, 10, size=size), SpeedConfig('fp32'), 'cpu')
    x, y = torch.randn(bs, 3, size, size), torch.randint(0, 10, (bs,))
    for _ in range(3): step(x, y)
    started = time.perf_counter()
    for _ in range(steps): step(x, y)
    return steps * bs / (time.perf_counter() - started)


def processes(count: int, threads: int | None, args) -> list[float]:
    "Start `count` workers at once (with `threads` each, or PyTorch's default) and return the images per second each printed."
    env = {**os.environ, **({'OMP_NUM_THREADS': str(threads)} if threads else {})}
    if not threads: env.pop('OMP_NUM_THREADS', None)
    command = [sys.executable, __file__, '--worker', '--arch', args.arch, '--size', str(args.size), '--bs', str(args.bs), '--steps', str(args.steps)]
    running = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(count)]
    return [float(p.communicate()[0].split()[-1]) for p in running]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--arch', default='resnet18')
    parser.add_argument('--size', type=int, default=32)
    parser.add_argument('--bs', type=int, default=64)
    parser.add_argument('--steps', type=int, default=30)
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker: return print(f'{worker(args.arch, args.size, args.bs, args.steps):.1f}')
    sys.path.insert(0, str(Path(__file__).parent))
    from scale import machine   # bench/scale.py: the machine in words
    print(machine())
    print(f'{args.arch} at {args.size} px, batches of {args.bs}, {args.steps} steps: training images/s of each process')
    for label, count, threads in (('alone, default threads', 1, None), ('two at once, default threads', 2, None), ('two at once, one thread each', 2, 1)):
        print(f'  {label:30s}', ', '.join(f'{speed:.0f}' for speed in processes(count, threads, args)))


if __name__ == '__main__':
    main()
