"""What every test folder shares: the isolated home (``home``), the in-process emulator org
(``emulator``) and the test clocks (``clock``). Import from the modules, not from here."""
