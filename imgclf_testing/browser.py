"Pages checked in headless Chromium (Debian's `chromium`, driven by Playwright): what a user's browser would show."
from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync']


def chromium_executable() -> str:
    "The system's Chromium; an error that says how to install it when there is none (in CI it must be there)."
    found = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    if found is None:
        raise RuntimeError('No Chromium found: install it (apt-get install chromium). The browser tests need it; '
                           'CI installs it, so these tests never skip.')
    return found


def _url(page: str | Path) -> str:
    text = str(page)
    return text if text.startswith(('http://', 'https://', 'file://')) else Path(page).resolve().as_uri()


def open_browser(playwright):
    "Headless Chromium, launched as the tests use it."
    return playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_FLAGS)


def check_page(page: str | Path, timeout: float = 60, screenshot: str | Path | None = None) -> dict:
    "Open `page` (a file or URL): its images and how many loaded, console errors, local links, and a screenshot if asked."
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = open_browser(p)
        try:
            tab = browser.new_page()
            errors = []
            tab.on('console', lambda message: errors.append(message.text) if message.type == 'error' else None)
            tab.on('pageerror', lambda error: errors.append(str(error)))
            tab.goto(_url(page), timeout=timeout * 1000, wait_until='load')
            images = tab.evaluate('() => [...document.images].map(i => i.complete && i.naturalWidth > 0)')
            links = tab.evaluate('() => [...document.querySelectorAll("a[href]")].map(a => a.getAttribute("href"))')
            if screenshot is not None: tab.screenshot(path=str(screenshot), full_page=False)
            return dict(images=len(images), loaded=sum(images), console_errors=errors, links=links, title=tab.title())
        finally: browser.close()
