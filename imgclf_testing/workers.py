"Functions run in the processes the distributed tests start (they must be importable by name in a fresh process)."
from __future__ import annotations

import json
import os
from pathlib import Path


def toy_member(folder: str, bs: int, parallel: bool, result: str, lr: float | None):
    "Train simple_cnn on `folder` (one process, or one of a data-parallel group) and save its weights, rate and history to `result.<rank>.*`."
    import safetensors.torch
    import imgclf.member as train
    from imgclf.data import from_folder
    from imgclf.distributed import DataParallel
    from imgclf.recipe import Recipe
    found = train.find_learning_rate
    def spy(learn, recipe):                      # records which process ran lr_find
        with open(f'{result}.lr_find', 'a') as f: f.write(f"{os.environ.get('RANK', '0')}\n")
        return found(learn, recipe)
    train.find_learning_rate = spy
    recipe = Recipe().changed(archs=['simple_cnn'], stages='24:2', bs=bs, pretrained=False, cache='memory', precision='fp32', lr=lr,
                              channels_last=False, flip=False, rotate=0, zoom=1, lighting=0, erasing=0, tta=False, fastai_export=False,
                              lr_find_iterations=10)
    processes = DataParallel() if parallel else None
    member = train.train_member(from_folder(folder, quiet=True), 'simple_cnn', recipe, quiet=True, parallel=processes)
    rank = processes.rank if processes else 0
    safetensors.torch.save_file({k: v.contiguous() for k, v in member.model.state_dict().items()}, f'{result}.{rank}.safetensors')
    Path(f'{result}.{rank}.json').write_text(json.dumps(dict(lr=member.lr, history=member.history)))


def failing():
    "Rank 1 fails at once; rank 0 waits for it in a collective (and would wait forever if nothing stopped it)."
    from imgclf.distributed import DataParallel
    import torch.distributed as dist
    processes = DataParallel()
    if processes.rank == 1: raise RuntimeError('rank 1 gave up')
    dist.barrier()
