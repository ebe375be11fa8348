from bulktui.cli import main

raise SystemExit(main())
