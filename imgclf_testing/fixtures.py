"Datasets made on the spot for tests."
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

COLOURS = {'red': (220, 40, 40), 'blue': (40, 60, 220), 'green': (40, 200, 60), 'yellow': (230, 220, 40)}


def make_toy_folder(path: Path | str,          # where to write it (created)
                    classes=('red', 'blue'),   # one class per colour name in COLOURS (others are grey)
                    per_class: int = 6,        # labelled images per class
                    test: int = 4,             # unlabelled test images, with `test_labels.csv` beside `test/`
                    size: int = 16,            # image side in pixels
                    valid: bool = False,       # also write a `valid/` folder (a third as many per class)
                    seed: int = 0) -> Path:
    "Write a small ImageNet-style folder of solid-colour, noisy images: a dataset any model can learn in a few steps."
    path, rng = Path(path), np.random.default_rng(seed)

    def image(cls: str) -> Image.Image:
        base = np.array(COLOURS.get(cls, (128, 128, 128)), dtype=float)
        return Image.fromarray(np.clip(base + rng.normal(0, 25, (size, size, 3)), 0, 255).astype(np.uint8))

    def write(folder: str, cls: str, n: int):
        (path/folder/cls).mkdir(parents=True, exist_ok=True)
        for i in range(n): image(cls).save(path/folder/cls/f'{i:03d}.png')

    for cls in classes:
        write('train', cls, per_class)
        if valid: write('valid', cls, max(1, per_class // 3))
    if test:
        (path/'test').mkdir(parents=True, exist_ok=True)
        lines = ['file,label']
        for i in range(test):
            cls = classes[i % len(classes)]
            image(cls).save(path/'test'/f'{i:03d}.png')
            lines.append(f'{i:03d}.png,{cls}')
        (path/'test_labels.csv').write_text('\n'.join(lines) + '\n')
    return path


def fake_hub_cache(folder: Path | str, arch: str, state_dict: dict) -> Path:
    "Save `state_dict` in `folder` laid out as the Hugging Face Hub cache would hold `arch`'s pretrained weights (no network)."
    import timm
    from safetensors.torch import save_file
    repo = timm.models.get_pretrained_cfg(arch).hf_hub_id.partition('@')[0]
    root = Path(folder)/f'models--{repo.replace("/", "--")}'
    (root/'refs').mkdir(parents=True, exist_ok=True)
    (root/'refs'/'main').write_text('0' * 40)
    snapshot = root/'snapshots'/('0' * 40)
    snapshot.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in state_dict.items()}, str(snapshot/'model.safetensors'))
    return snapshot/'model.safetensors'
