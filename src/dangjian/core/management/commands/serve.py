"""dangjian serve: web (gunicorn) and worker (Huey consumer) together, for one machine."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动网站（gunicorn）和后台任务（Huey）"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--bind", default=os.environ.get("DANGJIAN_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("DANGJIAN_WEB_WORKERS", "3"))
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="只启动网站（任务由其他机器处理）"
        )

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        bindir = os.path.dirname(sys.executable)
        gunicorn = shutil.which("gunicorn", path=bindir) or "gunicorn"
        procs = []
        if not opts["no_worker"]:
            worker_argv = [
                sys.executable,
                "-m",
                "django",
                "run_huey",
                "--settings",
                "dangjian.settings",
            ]
            procs.append(subprocess.Popen(worker_argv))  # noqa: S603 - fixed argv, no shell
        web_argv = [
            gunicorn,
            "dangjian.wsgi:application",
            "--bind",
            opts["bind"],
            "--workers",
            str(opts["workers"]),
            "--access-logfile",
            "-",
            "--timeout",
            "120",
        ]
        web = subprocess.Popen(web_argv)  # noqa: S603
        procs.append(web)
        self.stdout.write(f"党建平台已启动：http://{opts['bind']}/  （Ctrl+C 停止）")

        def stop(*_):  # type: ignore[no-untyped-def]
            for p in procs:
                if p.poll() is None:
                    p.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for p in procs:
                p.wait(timeout=30)
