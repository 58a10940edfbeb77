"""Screenshots of each industry pack demo's home page (issue 19): docs/screenshots/pack-<name>.png.

For every pack with a demo (`rmdesk.packs.demos.available()`: bank, telecom, tobacco, and any other demo module
present), on a scratch SQLite database of its own: migrate, `seed_demo --pack NAME`, start `manage.py runserver`,
log in as the demo's account manager with headless Debian chromium (Playwright) and take the home page at desktop
width (1440×900, full page). Nothing of the project's own database or var/ is touched.

    .venv/bin/python scripts/pack_screenshots.py                 # every pack with a demo
    .venv/bin/python scripts/pack_screenshots.py telecom tobacco # some
    options: --scale S (customer counts; default 0.1 for the bank's 5,200, 1 for the others), --keep (leave the
    scratch directories), --out docs/screenshots

The account manager shown is the demo module's `LOGIN` (a username), else the RM with the most customers.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
CHROMIUM = os.environ.get("RMDESK_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "rmdesk-demo-2026"  # the demos' shared password (org/demo.py, packs/demos/__init__.py)
BANK_LOGIN = "rm_senior"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]


def _env(var_dir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "RMDESK_VAR_DIR": str(var_dir),
            "DATABASE_URL": f"sqlite:///{var_dir / 'db.sqlite3'}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _manage(env, *args, quiet=True):
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE if quiet else None,
        text=True,
    ).stdout


def available() -> list[str]:
    out = subprocess.run(
        [
            PYTHON,
            "-c",
            "import django; django.setup(); from rmdesk.packs import demos; print(' '.join(demos.available()))",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "rmdesk.settings", "PYTHONPATH": str(ROOT / "src")},
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return out.split()


def _login_of(env, name: str) -> str:
    if name == "bank":
        return BANK_LOGIN
    code = (
        "import importlib\n"
        "from django.db.models import Count\n"
        "from rmdesk.org.models import User\n"
        f"m = importlib.import_module('rmdesk.packs.demos.{name}')\n"
        "login = getattr(m, 'LOGIN', '')\n"
        "if not login:\n"
        "    u = User.objects.filter(roles__code='rm').annotate(n=Count('a_customers')).order_by('-n', 'id').first()\n"
        "    login = u.username if u else ''\n"
        "print('LOGIN=' + login)\n"
    )
    out = _manage(env, "shell", "-c", code)
    return next(line[6:] for line in out.splitlines() if line.startswith("LOGIN="))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, proc, seconds=60):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError("runserver exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"runserver did not answer on port {port}")


def shoot(name: str, out_dir: Path, scale: float, keep: bool) -> Path:
    from playwright.sync_api import sync_playwright

    var_dir = Path(tempfile.mkdtemp(prefix=f"rmdesk-pack-{name}-"))
    env = _env(var_dir)
    target = out_dir / f"pack-{name}.png"
    server = None
    try:
        print(f"[{name}] migrate, seed_demo --pack {name} --scale {scale} in {var_dir}", flush=True)
        _manage(env, "migrate", "-v0")
        _manage(env, "seed_demo", "--pack", name, "--scale", str(scale))
        login = _login_of(env, name)
        port = _free_port()
        server = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(port, server)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
            page = context.new_page()
            page.set_default_timeout(30000)
            page.goto(f"{base}/login/")
            page.fill("#id_username", login)
            page.fill("#id_password", PASSWORD)
            page.click("[data-testid=login-submit]")
            page.wait_for_url(f"{base}/")
            page.wait_for_load_state("networkidle")
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target), full_page=True)
            context.close()
            browser.close()
        print(f"[{name}] {login}'s home page -> {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        return target
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if not keep:
            shutil.rmtree(var_dir, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packs", nargs="*", help="pack names (default: every pack with a demo)")
    parser.add_argument("--scale", type=float, default=None)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--keep", action="store_true", help="keep the scratch directories")
    args = parser.parse_args(argv)
    if not shutil.which(CHROMIUM):
        sys.exit(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    known = available()
    names = args.packs or known
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit(f"no demo for {', '.join(unknown)}; packs with a demo: {', '.join(known)}")
    for name in names:
        scale = args.scale if args.scale is not None else (0.1 if name == "bank" else 1.0)
        shoot(name, Path(args.out), scale, args.keep)


if __name__ == "__main__":
    main()
