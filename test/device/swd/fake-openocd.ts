// SPDX-License-Identifier: Apache-2.0
/**
 * A fake `openocd` executable for tests, written into a scratch folder (put it first on PATH or pass
 * it as the command). OpenOCD 0.12's remote_bitbang adapter speaks JTAG only (`adapter driver
 * remote_bitbang` autoselects 'jtag', its only transport; SWD over remote_bitbang came after 0.12),
 * and its ST-LINK and J-Link drivers need the USB devices, so the OpenOCD path is tested against this
 * stand-in: it checks the arguments tinyforge gives (interface and target configs, `program {FILE}
 * [ADDRESS] verify [reset] exit`, the file exists) and prints what OpenOCD 0.12's `program` procedure
 * prints (startup.tcl: "** Programming Started **", "** Verified OK **", "** Verify Failed **",
 * "** OpenOCD init failed **" after "Error: open failed" from the ST-LINK driver).
 *
 * FAKE_OPENOCD_MODE: ok (default), verify-failed, no-probe, hang (sleeps in a child of its own and
 * writes both pids to FAKE_OPENOCD_PIDS, so the test can check nothing is left behind).
 * FAKE_OPENOCD_ARGS: a file the arguments are written to, one a line.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT = `#!/bin/sh
echo "Open On-Chip Debugger 0.12.0" >&2
echo "Licensed under GNU GPL v2" >&2
[ -n "$FAKE_OPENOCD_ARGS" ] && printf '%s\\n' "$@" > "$FAKE_OPENOCD_ARGS"
interface=""; target=""; program=""; prev=""
for a in "$@"; do
  if [ "$prev" = "-f" ]; then case "$a" in interface/*) interface="$a";; target/*) target="$a";; esac; fi
  if [ "$prev" = "-c" ]; then case "$a" in program*) program="$a";; esac; fi
  prev="$a"
done
if [ -z "$interface" ] || [ -z "$target" ] || [ -z "$program" ]; then
  echo "Error: fake openocd: expected -f interface/..., -f target/... and -c 'program ...'" >&2; exit 1
fi
file=$(printf '%s' "$program" | sed -n 's/^program {\\(.*\\)}.*/\\1/p')
case "$program" in *" verify"*" exit") ;; *) echo "Error: fake openocd: program without verify ... exit: $program" >&2; exit 1;; esac
case "$FAKE_OPENOCD_MODE" in
  no-probe)
    echo "Info : clock speed 500 kHz" >&2
    echo "Error: open failed" >&2
    echo "in procedure 'program'" >&2
    echo "** OpenOCD init failed **" >&2
    echo "shutdown command invoked" >&2
    exit 1;;
  hang)
    sleep 30 &
    echo "$$ $!" > "$FAKE_OPENOCD_PIDS"
    wait; exit 0;;
esac
if [ ! -f "$file" ]; then echo "Error: couldn't open $file" >&2; echo "** Programming Failed **" >&2; exit 1; fi
echo "Info : Target voltage: 3.280000" >&2
echo "** Programming Started **" >&2
echo "Info : Padding image section 0 at 0x08000010 with 8 bytes" >&2
echo "** Programming Finished **" >&2
echo "** Verify Started **" >&2
if [ "$FAKE_OPENOCD_MODE" = "verify-failed" ]; then
  echo "Error: checksum mismatch - attempting binary compare" >&2
  echo "diff 0 address 0x08000010. Was 0x5f instead of 0x5b" >&2
  echo "** Verify Failed **" >&2
  echo "shutdown command invoked" >&2
  exit 1
fi
echo "** Verified OK **" >&2
case "$program" in *" reset exit") echo "** Resetting Target **" >&2;; esac
echo "shutdown command invoked" >&2
exit 0
`;

/** Writes the fake as `openocd` in `dir`; returns its path. */
export function writeFakeOpenOcd(dir: string): string {
  const path = join(dir, 'openocd');
  writeFileSync(path, SCRIPT);
  chmodSync(path, 0o755);
  return path;
}
