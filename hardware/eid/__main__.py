from hardware.eid.cli import main

raise SystemExit(main())
