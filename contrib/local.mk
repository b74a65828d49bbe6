# contrib/: systemd units, MTA snippets, quickstart
