package boardpy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Info is what a board says about itself. Numbers it could not tell are
// -1.
type Info struct {
	Platform       string // sys.platform, e.g. "esp32"
	Implementation string // sys.implementation.name, e.g. "micropython"
	Version        string // sys.implementation.version, e.g. "1.24.1"
	SysVersion     string // sys.version
	Machine        string // sys.implementation._machine, or os.uname().machine
	UniqueID       string // machine.unique_id() in hex, "" when absent
	Freq           int64  // CPU frequency in Hz
	MemFree        int64  // free heap after a collection, in bytes
	MemAlloc       int64  // allocated heap, in bytes
	FSFree         int64  // free bytes of the filesystem at /
	FSSize         int64  // size of that filesystem
}

// infoCode prints what Info returns as key=value lines. Every probe is
// guarded, since ports differ (no machine module on the Unix port, no
// statvfs on some, a tuple from machine.freq on stm32), and all names
// live in a function that is deleted afterwards.
const infoCode = `def _ik_info():
 import sys
 try:
  import os
 except ImportError:
  import uos as os
 v = sys.implementation
 print('platform=' + sys.platform)
 print('implementation=' + v.name)
 print('version=' + '.'.join([str(x) for x in v.version[:3]]))
 print('sysversion=' + sys.version)
 m = getattr(v, '_machine', '')
 if not m:
  try:
   m = os.uname().machine
  except Exception:
   m = ''
 print('machine=' + m)
 try:
  import machine
  print('unique_id=' + ''.join(['%02x' % b for b in machine.unique_id()]))
 except Exception:
  pass
 try:
  import machine
  f = machine.freq()
  if isinstance(f, tuple):
   f = f[0]
  print('freq=%d' % f)
 except Exception:
  pass
 try:
  import gc
  gc.collect()
  print('mem_free=%d' % gc.mem_free())
  print('mem_alloc=%d' % gc.mem_alloc())
 except Exception:
  pass
 try:
  s = os.statvfs('/')
  print('fs_free=%d' % (s[0] * s[3]))
  print('fs_size=%d' % (s[0] * s[2]))
 except Exception:
  pass
try:
 _ik_info()
finally:
 del _ik_info
`

// Describe asks the board who it is and how much room it has.
func Describe(ctx context.Context, ex Execer) (Info, error) {
	out, err := run(ctx, ex, infoCode)
	if err != nil {
		return Info{}, err
	}
	kv := parseKeyValues(out)
	if kv["platform"] == "" {
		return Info{}, fmt.Errorf("info: the board printed no platform (got %q)", short(out, 200))
	}
	num := func(k string) int64 {
		n, err := strconv.ParseInt(kv[k], 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	return Info{
		Platform:       kv["platform"],
		Implementation: kv["implementation"],
		Version:        kv["version"],
		SysVersion:     kv["sysversion"],
		Machine:        kv["machine"],
		UniqueID:       kv["unique_id"],
		Freq:           num("freq"),
		MemFree:        num("mem_free"),
		MemAlloc:       num("mem_alloc"),
		FSFree:         num("fs_free"),
		FSSize:         num("fs_size"),
	}, nil
}

// Errors of the clock.
var (
	// ErrNoRTC says a board cannot keep the time.
	ErrNoRTC = errors.New("this board has no real-time clock (no machine.RTC().datetime): its time cannot be set")
	// ErrNoCalendar says a board has no calendar time at all.
	ErrNoCalendar = errors.New("this board has no calendar clock (its time module has no localtime, only ticks since boot): it cannot tell the date or time")
)

// Clock is what a board says of its clock.
type Clock struct {
	Time  time.Time // its local time, to the second, in the host's time zone
	Epoch int       // the year time.time() counts from: 2000 on older ports, 1970 on newer; 0 when unknown
	RTC   bool      // it has machine.RTC().datetime, so SetTime can set it
}

// timeCode prints the board's local time, the year of its epoch and
// whether it has an RTC. A port whose time module keeps only ticks since
// boot (the micro:bit's has no localtime) prints time=none.
const timeCode = `def _ik_time():
 try:
  import time
 except ImportError:
  import utime as time
 try:
  t = time.localtime()
 except AttributeError:
  print('time=none')
  return
 print('time=%d %d %d %d %d %d' % tuple(t[:6]))
 try:
  print('epoch=%d' % time.gmtime(0)[0])
 except Exception:
  pass
 try:
  import machine
  print('rtc=%d' % hasattr(machine.RTC(), 'datetime'))
 except Exception:
  print('rtc=0')
try:
 _ik_time()
finally:
 del _ik_time
`

// Time reads the board's clock. A board without a calendar clock is an
// error wrapping ErrNoCalendar.
func Time(ctx context.Context, ex Execer) (Clock, error) {
	out, err := run(ctx, ex, timeCode)
	if err != nil {
		return Clock{}, err
	}
	kv := parseKeyValues(out)
	if kv["time"] == "none" {
		return Clock{}, ErrNoCalendar
	}
	var y, mo, d, h, mi, s int
	if _, err := fmt.Sscanf(kv["time"], "%d %d %d %d %d %d", &y, &mo, &d, &h, &mi, &s); err != nil {
		return Clock{}, fmt.Errorf("read the board's time: unexpected answer %q", short(out, 200))
	}
	epoch, _ := strconv.Atoi(kv["epoch"])
	return Clock{Time: time.Date(y, time.Month(mo), d, h, mi, s, 0, time.Local), Epoch: epoch, RTC: kv["rtc"] == "1"}, nil
}

// SetTime sets the board's RTC to the calendar time t (to the second). A
// board without one is an error wrapping ErrNoRTC. The RTC takes (year,
// month, day, weekday, hours, minutes, seconds, subseconds) with Monday as
// weekday 0, whatever the port's epoch.
func SetTime(ctx context.Context, ex Execer, t time.Time) error {
	wd := (int(t.Weekday()) + 6) % 7
	out, err := run(ctx, ex, fmt.Sprintf(`def _ik_settime():
 try:
  import machine
  r = machine.RTC()
  r.datetime
 except Exception:
  print('rtc=0')
  return
 r.datetime((%d, %d, %d, %d, %d, %d, %d, 0))
 print('rtc=1')
try:
 _ik_settime()
finally:
 del _ik_settime
`, t.Year(), int(t.Month()), t.Day(), wd, t.Hour(), t.Minute(), t.Second()))
	if err != nil {
		return err
	}
	if parseKeyValues(out)["rtc"] != "1" {
		return ErrNoRTC
	}
	return nil
}

// Platform returns the board's sys.platform ("esp32", "rp2", "linux"),
// quicker to ask than Describe.
func Platform(ctx context.Context, ex Execer) (string, error) {
	out, err := run(ctx, ex, "import sys as _ik_sys\nprint(_ik_sys.platform)\ndel _ik_sys\n")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}
