"A folder of image files that break naive readers, each with what imgclf must do with it (the fault suite's data)."
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

USABLE, LEFT_OUT, IGNORED = 'usable', 'left out', 'ignored'


def _texture(size=(24, 24), seed=0, mode='RGB') -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).convert(mode)


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO(); image.save(buffer, 'PNG'); return buffer.getvalue()


def _jpeg_bytes() -> bytes:
    buffer = io.BytesIO(); _texture().save(buffer, 'JPEG', quality=90); return buffer.getvalue()


def _exif_rotated(path: Path):
    exif = Image.Exif(); exif[0x0112] = 6
    _texture((24, 16)).save(path, exif=exif, quality=95)


def _animated(path: Path):
    frames = [_texture(seed=i) for i in range(3)]
    frames[0].save(path, save_all=True, append_images=frames[1:])


def _multipage(path: Path):
    pages = [_texture(seed=i) for i in range(2)]
    pages[0].save(path, save_all=True, append_images=pages[1:])


# name -> (how to write it, expected outcome, what the reason must say when it is left out)
HAZARDS = {
    'zero-byte.png': (lambda p: p.write_bytes(b''), LEFT_OUT, 'not an image'),
    'truncated.jpg': (lambda p: p.write_bytes(_jpeg_bytes()[:300]), LEFT_OUT, ''),
    'truncated.png': (lambda p: p.write_bytes(_png_bytes(_texture())[:200]), LEFT_OUT, ''),
    'notes.png': (lambda p: p.write_text('a text file named as an image'), LEFT_OUT, 'not an image'),
    'page.jpg': (lambda p: p.write_text('<html><body>not a picture</body></html>'), LEFT_OUT, 'not an image'),
    'bomb.png': (lambda p: Image.new('1', (20000, 20000)).save(p), LEFT_OUT, 'decompression bomb'),
    'dangling.png': (lambda p: os.symlink(p.parent/'nowhere.png', p), LEFT_OUT, 'no such file'),
    'fifo.png': (lambda p: os.mkfifo(p), LEFT_OUT, 'not a regular file'),
    'linked.png': (lambda p: (_texture(seed=9).save(p.parent/'.target.png'), os.symlink(p.parent/'.target.png', p)), USABLE, ''),
    'grey.png': (lambda p: _texture(seed=1, mode='L').save(p), USABLE, ''),
    'palette.png': (lambda p: _texture(seed=2, mode='P').save(p), USABLE, ''),
    'alpha.png': (lambda p: _texture(seed=3, mode='RGBA').save(p), USABLE, ''),
    'grey-alpha.png': (lambda p: _texture(seed=4, mode='LA').save(p), USABLE, ''),
    'cmyk.jpg': (lambda p: _texture(seed=5, mode='CMYK').save(p), USABLE, ''),
    'bilevel.png': (lambda p: _texture(seed=6, mode='1').save(p), USABLE, ''),
    'sixteen-bit.png': (lambda p: Image.fromarray((np.random.default_rng(7).integers(0, 65535, (24, 24))).astype(np.uint16)).save(p), USABLE, ''),
    'float.tif': (lambda p: Image.fromarray(np.random.default_rng(8).random((24, 24)).astype(np.float32)).save(p), USABLE, ''),
    'int32.tif': (lambda p: Image.fromarray(np.random.default_rng(9).integers(0, 70000, (24, 24)).astype(np.int32)).save(p), USABLE, ''),
    'rotated.jpg': (_exif_rotated, USABLE, ''),
    'animated.gif': (_animated, USABLE, ''),
    'pages.tif': (_multipage, USABLE, ''),
    'ünïcødé 画像.png': (lambda p: _texture(seed=10).save(p), USABLE, ''),
    ('long-' + 'x' * 200 + '.png'): (lambda p: _texture(seed=11).save(p), USABLE, ''),
    'picture.webp': (lambda p: _texture(seed=12).save(p), USABLE, ''),
    'picture.bmp': (lambda p: _texture(seed=13).save(p), USABLE, ''),
    'one-pixel.png': (lambda p: _texture((1, 1), seed=14).save(p), USABLE, ''),
    'strip.png': (lambda p: _texture((400, 4), seed=15).save(p), USABLE, ''),
    'UPPER.PNG': (lambda p: _texture(seed=16).save(p, 'PNG'), USABLE, ''),
    'png-inside.jpg': (lambda p: _texture(seed=17).save(p, 'PNG'), USABLE, ''),
    '.DS_Store': (lambda p: p.write_bytes(b'\0\0\0\1Bud1'), IGNORED, ''),
    '.hidden.png': (lambda p: _texture(seed=18).save(p), IGNORED, ''),
    'readme.txt': (lambda p: p.write_text('not an image suffix'), IGNORED, ''),
}



def make_hazard_folder(path: Path | str, good_per_class: int = 12) -> Path:
    "A dataset: two good classes, every hazard in class `mixed` and in `test/`, a class of broken files only, an empty class, OS litter."
    path = Path(path)
    for cls, seed in (('good', 100), ('other', 200)):
        (path/'train'/cls).mkdir(parents=True, exist_ok=True)
        for i in range(good_per_class):
            colour = np.full((24, 24, 3), (200, 40, 40) if cls == 'good' else (40, 60, 200), np.uint8)
            noise = np.random.default_rng(seed + i).integers(0, 40, (24, 24, 3), dtype=np.uint8)
            Image.fromarray(colour + noise).save(path/'train'/cls/f'{i:02d}.png')
    for folder in (path/'train'/'mixed', path/'test'):
        folder.mkdir(parents=True, exist_ok=True)
        for name, (write, _, _) in HAZARDS.items(): write(folder/name)
        for i in range(good_per_class if folder.name == 'mixed' else 0): _texture(seed=300 + i).save(folder/f'{i:02d}.png')
    (path/'train'/'broken only').mkdir()
    for name in ('a.png', 'b.jpg'): (path/'train'/'broken only'/name).write_text('broken')
    (path/'train'/'empty class').mkdir()
    (path/'__MACOSX'/'train'/'good').mkdir(parents=True)
    (path/'__MACOSX'/'train'/'good'/'._00.png').write_bytes(b'\0\5\26\7')
    os.symlink(path/'train', path/'train'/'mixed'/'loop')          # a link back up: followed once, never forever
    return path


def expected(outcome: str) -> dict[str, str]:
    "The hazards with the given outcome, with the words their reason must hold."
    return {name: words for name, (_, result, words) in HAZARDS.items() if result == outcome}
