"""The `dangjian` command: Django's manage.py with the project's settings and a CLI audit source.

dangjian migrate | seed | demo_logins | import bundle DIR | export bundle DIR [--org CODE]
dangjian audit verify | serve | scan ... (later modules add their commands)
"""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")

    execute_from_command_line(["dangjian", *sys.argv[1:]])


if __name__ == "__main__":
    main()
