"""Training speed of imgclf's loop against a bare PyTorch loop, for each architecture and speed option.

For each architecture at the size the default recipe plans for the data (its first stage), and for each option
(fp32, bf16 or fp16, channels-last, torch.compile, the decoded-image cache on or off), this times training steps of
imgclf's loop (a fastai Learner built by imgclf.member.member_learner, with imgclf's DataLoaders, batch augmentation
and callbacks) and of a bare PyTorch loop (the same model, the same batches already on the device, the same batch
size, Adam, cross-entropy), interleaved step by step so that a noisy machine slows both alike. The row the default
recipe would use is marked `default`.

    python bench/train_speed.py                                  # the four seed architectures on the bundled sample
    python bench/train_speed.py --archs resnet34 --steps 20 --json speed.json
"""
import argparse
import json
import platform
import statistics
import tempfile
import time
import warnings

warnings.filterwarnings('ignore')

import torch
from fastai.callback.core import Callback, CancelFitException
from fastai.torch_core import set_seed
from torch import nn

from imgclf.datasets import image_source
from imgclf.loaders import dataloaders, image_stats
from imgclf.plan import native_size, stage_sizes
from imgclf.models import create_model, smallest_size
from imgclf.recipe import ARCHITECTURES, Recipe
from imgclf.speed import SpeedConfig, choose_speed, device_name
from imgclf.member import member_learner


class StepTimer(Callback):
    "Time each training batch of a fit (forward, loss, backward, step and imgclf's callbacks), and stop after `steps`."
    order = 100
    def __init__(self, steps: int, warmup: int): self.steps, self.warmup, self.times = steps, warmup, []
    def before_batch(self): self.started = time.perf_counter()
    def after_batch(self):
        if not self.training: return
        self.times.append(time.perf_counter() - self.started)
        if len(self.times) >= self.steps + self.warmup: raise CancelFitException()


def imgclf_speed(learn, steps: int, warmup: int) -> float:
    "Images per second of imgclf's loop: the median training batch, after `warmup` batches."
    timer = StepTimer(steps, warmup)
    with learn.no_bar(), learn.no_logging(): learn.fit(100, 1e-4, cbs=timer)
    return learn.dls.train.bs / statistics.median(timer.times[warmup:])


def bare_speed(model: nn.Module, batches: list, config: SpeedConfig, device, warmup: int) -> float:
    "Images per second of a bare PyTorch loop over the same batches: the median step, after `warmup` steps."
    memory = torch.channels_last if config.channels_last else torch.contiguous_format
    model = model.to(device).train().to(memory_format=memory)
    optimiser = torch.optim.Adam(model.parameters(), 1e-4)
    times = []
    for x, y in batches:
        start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16 if config.precision == 'bf16' else torch.float16, enabled=config.precision != 'fp32'):
            loss = nn.functional.cross_entropy(model(x.contiguous(memory_format=memory)).float(), y)
        loss.backward(); optimiser.step(); optimiser.zero_grad()
        if device.type == 'cuda': torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return len(batches[0][0]) / statistics.median(times[warmup:])


def configs(device, compile: bool = True) -> list[tuple[str, SpeedConfig, str]]:
    "(name, speed configuration, cache mode) of every option measured (`compile` where a compiler works and it is asked for)."
    half = 'fp16' if device.type == 'cuda' else 'bf16'
    rows = [('fp32', SpeedConfig('fp32'), 'memory'), (half, SpeedConfig(half), 'memory'),
            ('channels_last', SpeedConfig('fp32', True), 'memory'), (f'{half}+channels_last', SpeedConfig(half, True), 'memory'),
            ('fp32, no cache', SpeedConfig('fp32'), 'off')]
    from imgclf.speed import compiler_problem
    if compile and compiler_problem(device.type) is None: rows.append(('compile', SpeedConfig('fp32', False, True), 'memory'))
    return rows


def measure(source, arch: str, size: int, name: str, config: SpeedConfig, cache: str, recipe: Recipe, device, steps: int, warmup: int) -> dict:
    "One row: imgclf's and the bare loop's images per second for `arch` in `config`."
    set_seed(0)
    options = recipe.changed(cache=cache).data
    stats = image_stats(source, size)
    loaders = dataloaders(source, size, recipe.training.bs, options, stats, device)
    with tempfile.TemporaryDirectory() as scratch:
        learn = member_learner(loaders, arch, recipe, size=size, speed=config, path=scratch)
        fast = imgclf_speed(learn, steps, warmup)
    batches = [(x.as_subclass(torch.Tensor), y.as_subclass(torch.Tensor)) for x, y in
               [b for _, b in zip(range(steps + warmup), loaders.train)]]
    model = create_model(arch, len(source.classes), size=size)
    if config.compile: model.compile()
    bare = bare_speed(model, batches, config, device, warmup)
    return dict(arch=arch, config=name, size=size, imgclf_img_s=round(fast, 1), bare_img_s=round(bare, 1), ratio=round(fast / bare, 3))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default=None, help="folder, CSV, 'sample' (default) or 'fashion-mnist'")
    parser.add_argument('--archs', default=','.join(ARCHITECTURES))
    parser.add_argument('--steps', type=int, default=12, help='timed batches per measurement')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--json', help='write the rows to this file')
    parser.add_argument('--no-compile', action='store_true', help='leave out the torch.compile rows (compiling each model takes minutes on a CPU)')
    args = parser.parse_args()
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    print(f'{device_name(device)}; torch {torch.__version__}; python {platform.python_version()}')
    source, recipe = image_source(args.data, quiet=True), Recipe()
    native, rows = native_size(source), []
    print(f"{'arch':<16}{'config':<24}{'size':>5}{'imgclf img/s':>14}{'bare img/s':>12}{'ratio':>7}")
    for arch in args.archs.split(','):
        size = stage_sizes(native, device.type, smallest_size(create_model(arch, 2), 8) or 8)[0]
        default = choose_speed(arch, recipe.training, size, recipe.training.bs, len(source.classes), device).config
        for name, config, cache in configs(device, not args.no_compile):
            row = measure(source, arch, size, name, config, cache, recipe, device, args.steps, args.warmup)
            rows.append(row)
            print(f"{arch:<16}{name:<24}{size:>5}{row['imgclf_img_s']:>14.0f}{row['bare_img_s']:>12.0f}{row['ratio']:>7.2f}", flush=True)
        row = dict(measure(source, arch, size, 'default', default, 'memory', recipe, device, args.steps, args.warmup), chosen=default.name)
        rows.append(row)
        print(f"{arch:<16}{'default (' + default.name + ')':<24}{size:>5}{row['imgclf_img_s']:>14.0f}{row['bare_img_s']:>12.0f}{row['ratio']:>7.2f}", flush=True)
    if args.json:
        machine = f'{device_name(device)}; torch {torch.__version__}'
        with open(args.json, 'w') as f: json.dump([dict(row, machine=machine) for row in rows], f, indent=2)


if __name__ == '__main__':
    main()
