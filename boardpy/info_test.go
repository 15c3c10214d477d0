package boardpy_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/boardpy"
)

func TestDescribe(t *testing.T) {
	b := localBoard(t)
	ctx := context.Background()
	info, err := boardpy.Describe(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if info.Platform != "linux" || info.Implementation != "micropython" || !strings.HasPrefix(info.Version, "1.") {
		t.Errorf("Describe = %+v, want linux, micropython 1.x", info)
	}
	if info.MemFree <= 0 || info.MemAlloc <= 0 {
		t.Errorf("Describe = %+v, want the heap's figures", info)
	}
	if p, err := boardpy.Platform(ctx, b); p != "linux" || err != nil {
		t.Errorf("Platform = %q, %v; want linux", p, err)
	}
	checkClean(t, b)
}

// TestClock reads the Unix port's clock, the system's, which it cannot
// set: its machine module has no RTC.
func TestClock(t *testing.T) {
	b := localBoard(t)
	ctx := context.Background()
	before := time.Now().Truncate(time.Second)
	c, err := boardpy.Time(ctx, b)
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if c.Time.Before(before.Add(-time.Second)) || c.Time.After(after.Add(time.Second)) || c.Epoch != 1970 || c.RTC {
		t.Errorf("Time = %+v, want the system clock between %v and %v, epoch 1970, no RTC", c, before, after)
	}
	if err := boardpy.SetTime(ctx, b, time.Now()); !errors.Is(err, boardpy.ErrNoRTC) {
		t.Errorf("SetTime = %v, want ErrNoRTC", err)
	}
	checkClean(t, b)
}

func TestNamesInspect(t *testing.T) {
	b := localBoard(t)
	ctx := context.Background()
	runOn(t, b, "import sys\nsensor_value = 42\n_sensor_private = 1\n")
	names, err := boardpy.Names(ctx, b, "", "sensor")
	if err != nil || strings.Join(names, " ") != "sensor_value" {
		t.Errorf("Names(sensor) = %q, %v; want [sensor_value]", names, err)
	}
	if names, _ := boardpy.Names(ctx, b, "", "pri"); !slices.Contains(names, "print") {
		t.Errorf("Names(pri) = %q, want the builtin print among them", names)
	}
	if names, _ := boardpy.Names(ctx, b, "", ""); slices.Contains(names, "_sensor_private") || len(names) == 0 {
		t.Errorf("Names('') = %q, want public names only", names)
	}
	if names, _ := boardpy.Names(ctx, b, "", "_"); !slices.Contains(names, "_sensor_private") {
		t.Errorf("Names(_) = %q, want _sensor_private", names)
	}
	if names, _ := boardpy.Names(ctx, b, "", "_ik"); len(names) != 0 {
		t.Errorf("Names(_ik) = %q, want none of the package's own", names)
	}
	if names, _ := boardpy.Names(ctx, b, "sys", "plat"); strings.Join(names, " ") != "platform" {
		t.Errorf("Names(sys, plat) = %q, want [platform]", names)
	}
	for _, obj := range []string{"f()", "x[0]", "nosuchname"} {
		if names, err := boardpy.Names(ctx, b, obj, ""); len(names) != 0 || err != nil {
			t.Errorf("Names(%q) = %q, %v; want nothing", obj, names, err)
		}
	}
	if got, err := boardpy.Inspect(ctx, b, "sensor_value"); got != "sensor_value: int\n42" || err != nil {
		t.Errorf("Inspect(sensor_value) = %q, %v", got, err)
	}
	if got, err := boardpy.Inspect(ctx, b, "nosuchname"); got != "" || err != nil {
		t.Errorf("Inspect(nosuchname) = %q, %v; want nothing", got, err)
	}
	if got := runOn(t, b, "print('sys' in globals(), len([n for n in globals() if n.startswith('_ik')]))\n"); got != "True 0\n" {
		t.Errorf("after the queries the board has %s", got)
	}
}
