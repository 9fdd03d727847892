import sys

from augft.cluster.jobs.entry import main

sys.exit(main())
