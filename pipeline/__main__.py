"""`python -m pipeline` = `zhen`."""
import sys

try:
    from pipeline.cli import main
    sys.exit(main())
except KeyboardInterrupt:  # Ctrl-C while Python was still starting: nothing was written yet
    sys.stderr.write("interrupted\n")
    sys.exit(130)
