from .cache import release_memory
from .cli import main

status = main()
release_memory()  # the process ends here: see release_memory
raise SystemExit(status)
