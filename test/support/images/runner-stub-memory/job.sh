#!/bin/sh
# Fills a 256 MiB buffer (dd reads /dev/zero into it) and reports dd's exit status: 137 when the
# kernel killed it for the container's memory limit.
dd if=/dev/zero of=/dev/null bs=256M count=1 2>/dev/null
status=$?
wget -q -O /dev/null --post-data="memory_status=$status" "$STUB_RUNNER_URL/report"
[ "$status" -eq 0 ]
