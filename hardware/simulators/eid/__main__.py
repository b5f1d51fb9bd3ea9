from hardware.simulators.eid.cli import main

raise SystemExit(main())
