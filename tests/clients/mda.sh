#!/bin/sh
# A mail delivery agent for the client tests (fetchmail's `mda`, mpop's `delivery mda`):
# stores the message it reads on stdin as a new file in the directory $1.
exec cat > "$(mktemp "$1/msg.XXXXXX")"
