"""The `gatehouse` command: a thin front-end that parses arguments, calls one service and prints the outcome."""
