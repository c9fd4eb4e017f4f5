"""Running the server: waitress on loopback, the TLS front of a field kit, memory hardening, daily maintenance."""
