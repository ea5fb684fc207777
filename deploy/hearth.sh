#!/bin/sh
# /usr/local/bin/hearth: the installed release's command line, whichever release is current.
exec /usr/bin/node /opt/hearth/current/dist/src/cli/main.js "$@"
