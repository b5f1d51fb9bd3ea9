import sys

from hardware.payment.cli import main

sys.exit(main())
