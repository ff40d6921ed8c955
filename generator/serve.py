"""Local preview: generate, then let MkDocs serve and rebuild whenever data or pages change."""

from __future__ import annotations

import os
import sys

from . import pipeline
from .problems import DataError

REGENERATE_ENV = "JX_REGENERATE_FROM"
CACHE_ENV = "JX_CACHE_DIR"  # where the regeneration keeps parsed years and the pages' inputs (pipeline.generate)


def serve(paths: pipeline.Paths, addr: str) -> int:
    from mkdocs.commands.serve import serve as mkdocs_serve

    try:
        pipeline.generate(paths.data, paths.generated, paths.cache)
    except DataError as exc:
        print(exc.report.as_text(), file=sys.stderr)
        return 1
    # Tells the plugin to regenerate from data/ before each rebuild that a change in data/ triggers.
    os.environ[REGENERATE_ENV] = str(paths.data)
    os.environ[CACHE_ENV] = str(paths.cache)
    pipeline.show_mkdocs_log(quiet=False)  # so a data mistake made while previewing is shown, in Chinese
    mkdocs_serve(str(paths.config), dev_addr=addr, livereload=True, watch=[str(paths.data)])
    return 0
