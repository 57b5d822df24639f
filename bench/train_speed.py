"""Training speed of imgclf's loop against a bare PyTorch loop, for each architecture and speed option.

For each architecture at the size the default recipe plans for the data (its first stage), and for each option
(fp32, bf16 or fp16 where the device has it in hardware, channels-last, torch.compile, the decoded-image cache on or off, fastai's own Adam in place of
imgclf's fused one), this times training steps of imgclf's loop (a fastai Learner built by
imgclf.member.member_learner, with imgclf's DataLoaders, batch augmentation and callbacks) and of a bare PyTorch
loop (the same model, the same batches already on the device, the same batch size, the fused Adam kernel that
imgclf.optim.FusedAdam steps with, cross-entropy), their steps in turns (each imgclf batch, then one bare step on
that batch) so that a noisy machine slows both alike; each figure is the median step. The row the default recipe
would use is repeated as `default`. Different options are measured one after another: on a shared machine,
compare them within one run.

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
from fastai.optimizer import Adam
from fastai.torch_core import set_seed
from torch import nn

from imgclf.datasets import image_source
from imgclf.loaders import dataloaders, image_stats
from imgclf.plan import native_size, stage_sizes
from imgclf.models import create_model, smallest_size
from imgclf.recipe import ARCHITECTURES, Recipe
from imgclf.speed import SpeedConfig, choose_speed, device_name, measure_speeds, native_bf16, training_step
from imgclf.member import member_learner


class Interleaved(Callback):
    """Time imgclf's loop batch by batch (the period from one batch's end to the next: loading, augmentation, callbacks,
    forward, backward and step) and, right after each, one step of the bare loop on the same batch; stop after `steps`."""
    order = 100                                        # after every other callback's after_batch
    def __init__(self, bare_step, steps: int, warmup: int):
        self.bare_step, self.steps, self.warmup, self.imgclf, self.bare, self.last = bare_step, steps, warmup, [], [], None
    def after_batch(self):
        if not self.training: return
        if self.dls.device.type == 'cuda': torch.cuda.synchronize(self.dls.device)
        if self.last is not None: self.imgclf.append(time.perf_counter() - self.last)
        self.bare.append(self.bare_step(self.xb[0].as_subclass(torch.Tensor), self.yb[0].as_subclass(torch.Tensor)))
        if len(self.imgclf) >= self.steps + self.warmup: raise CancelFitException()
        self.last = time.perf_counter()


def bare_step(model: nn.Module, config: SpeedConfig, device):
    "One step of the bare PyTorch loop (`imgclf.speed.training_step`: autocast, cross-entropy, backward, fused AdamW), returning its seconds."
    step = training_step(model, config, device)
    def timed(x, y) -> float:
        start = time.perf_counter()
        step(x, y)
        return time.perf_counter() - start
    return timed


def configs(device, compile: bool = True) -> list[tuple]:
    "(name, speed configuration, cache mode, optimiser function or None for the recipe's) of every option measured (`compile` where a compiler works and it is asked for)."
    half = 'fp16' if device.type == 'cuda' else 'bf16'
    halves = device.type == 'cuda' or native_bf16()   # a CPU without bf16 in hardware emulates it, many times slower: imgclf never picks it there
    rows = [('fp32', SpeedConfig('fp32'), 'memory', None), ('channels_last', SpeedConfig('fp32', True), 'memory', None),
            ('fp32, no cache', SpeedConfig('fp32'), 'off', None), ("fp32, fastai's Adam", SpeedConfig('fp32'), 'memory', Adam)]
    if halves: rows[1:1] = [(half, SpeedConfig(half), 'memory', None), (f'{half}+channels_last', SpeedConfig(half, True), 'memory', None)]
    from imgclf.speed import compiler_problem
    if compile and compiler_problem(device.type) is None: rows.append(('compile', SpeedConfig('fp32', False, True), 'memory', None))
    return rows


def measure(source, arch: str, size: int, name: str, config: SpeedConfig, cache: str, recipe: Recipe, device, steps: int, warmup: int,
            opt_func=None) -> dict:
    "One row: images per second of imgclf's loop (with `opt_func` instead of the recipe's optimiser if given) and of the bare loop for `arch` in `config`, their steps in turns."
    set_seed(0)
    options = recipe.changed(cache=cache).data
    loaders = dataloaders(source, size, recipe.training.bs, options, image_stats(source, size), device)
    timer = Interleaved(bare_step(create_model(arch, len(source.classes), size=size), config, device), steps, warmup)
    with tempfile.TemporaryDirectory() as scratch:
        learn = member_learner(loaders, arch, recipe, size=size, speed=config, path=scratch)
        if opt_func is not None: learn.opt_func = opt_func
        with learn.no_bar(), learn.no_logging(): learn.fit(100, 1e-4, cbs=timer)
    bs = recipe.training.bs
    fast, bare = bs / statistics.median(timer.imgclf[warmup:]), bs / statistics.median(timer.bare[warmup + 1:])
    return dict(arch=arch, config=name, size=size, imgclf_img_s=round(fast, 1), bare_img_s=round(bare, 1), ratio=round(fast / bare, 3))


def default_row(rows: list[dict], options: list, default: SpeedConfig) -> dict | None:
    "The row measured for `default` (with the cache on) among this architecture's `rows`, renamed 'default'; None if none was."
    same = [row for row, (_, config, cache, opt) in zip(rows, options) if config == default and cache == 'memory' and opt is None]
    return dict(same[0], config='default', chosen=default.name) if same else None


def in_turns(arch: str, options: list, size: int, bs: int, n_out: int, device, rounds: int) -> dict[str, float]:
    """Bare-loop images per second of each speed option (cache on, the recipe's optimiser), their steps in turns
    (`imgclf.speed.measure_speeds`): the rows are measured one option after another, and a shared machine drifts between them."""
    candidates = [config for _, config, cache, opt in options if cache == 'memory' and opt is None]
    return measure_speeds(arch, candidates, size, bs, n_out, device, rounds=rounds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', default=None, help="folder, CSV, 'sample' (default) or 'fashion-mnist'")
    parser.add_argument('--archs', default=','.join(ARCHITECTURES))
    parser.add_argument('--steps', type=int, default=12, help='timed batches per measurement')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--rounds', type=int, default=8, help='rounds of the options in turns')
    parser.add_argument('--json', help='write the rows to this file')
    parser.add_argument('--no-compile', action='store_true', help='leave out the torch.compile rows (compiling each model takes minutes on a CPU)')
    args = parser.parse_args()
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    print(f'{device_name(device)}; torch {torch.__version__}; python {platform.python_version()}')
    if device.type == 'cpu' and not native_bf16(): print('bf16 left out: this CPU has no bf16 in hardware (emulated, it is many times slower, and imgclf never picks it here)')
    source, recipe = image_source(args.data, quiet=True), Recipe()
    native, rows = native_size(source), []
    print(f"{'arch':<16}{'config':<24}{'size':>5}{'imgclf img/s':>14}{'bare img/s':>12}{'ratio':>7}")
    for arch in args.archs.split(','):
        size = stage_sizes(native, device.type, smallest_size(create_model(arch, 2), 8) or 8)[0]
        default = choose_speed(arch, recipe.training, size, recipe.training.bs, len(source.classes), device).config
        options, measured = configs(device, not args.no_compile), []
        for name, config, cache, opt_func in options:
            measured.append(measure(source, arch, size, name, config, cache, recipe, device, args.steps, args.warmup, opt_func))
            row = measured[-1]
            print(f"{arch:<16}{name:<24}{size:>5}{row['imgclf_img_s']:>14.0f}{row['bare_img_s']:>12.0f}{row['ratio']:>7.2f}", flush=True)
        row = default_row(measured, options, default) or \
              dict(measure(source, arch, size, 'default', default, 'memory', recipe, device, args.steps, args.warmup), chosen=default.name)
        turns = in_turns(arch, options, size, recipe.training.bs, len(source.classes), device, args.rounds)
        for entry, (_, config, cache, opt) in zip(measured, options):
            entry['in_turns_img_s'] = turns.get(config.name) if cache == 'memory' and opt is None else None
        row['in_turns_img_s'] = turns[default.name]
        rows += measured + [row]
        print(f"{arch:<16}{'default (' + default.name + ')':<24}{size:>5}{row['imgclf_img_s']:>14.0f}{row['bare_img_s']:>12.0f}{row['ratio']:>7.2f}", flush=True)
        fastest = max(turns, key=turns.get)
        print(f"{arch:<16}options in turns ({args.rounds} rounds, bare img/s): " + ', '.join(f'{k} {v:.0f}' for k, v in turns.items()) +
              f"; default / fastest {turns[default.name] / turns[fastest]:.2f}", flush=True)
    if args.json:
        bf16 = 'bf16 in hardware' if native_bf16() else 'no bf16 in hardware'   # two CPUs of one name can differ in this
        machine = f'{device_name(device)}, {bf16}; torch {torch.__version__}'
        with open(args.json, 'w') as f: json.dump([dict(row, machine=machine) for row in rows], f, indent=2)


if __name__ == '__main__':
    main()
