"""Published transparency snapshots: frozen quarterly figures with dated, reasoned corrections."""
