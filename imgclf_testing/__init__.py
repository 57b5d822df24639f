"""Test helpers for imgclf's notebooks: fixtures and browser checks. Not part of the package users install.

`nbdev_test` puts the repository's root on `sys.path`, so the notebooks import this as `imgclf_testing`; the wheel
(`setup.py` packages `imgclf` only) never contains it.
"""
from .browser import check_page, chromium_executable, open_browser
from .fixtures import fake_hub_cache, make_toy_folder

__all__ = ['check_page', 'chromium_executable', 'fake_hub_cache', 'make_toy_folder', 'open_browser']
