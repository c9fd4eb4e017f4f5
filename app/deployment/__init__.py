"""What a deployment should be and whether it is: the hardened systemd unit, the torrc lines, and the doctor that
checks a running deployment against SECURITY.md's Deployment list."""
