from printing.cli import main

raise SystemExit(main())
