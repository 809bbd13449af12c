import sys

from m2m_guard.cli import main

sys.exit(main())
