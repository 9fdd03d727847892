import sys

from cluster.jobs.entry import main

sys.exit(main())
