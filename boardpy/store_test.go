package boardpy_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/store"
)

// TestDefineDump defines values on the real Unix port and reads them back
// through the step-by-step dump.
func TestDefineDump(t *testing.T) {
	b := localBoard(t)
	ctx := context.Background()
	bin := []byte{0, 4, 0xff, '%', ';'}
	vals := map[string]store.Value{
		"ip":  store.StrValue("192.168.1.5 \u00e9"),
		"buf": store.ByteArrayValue(bin),
		"cfg": store.DictValue(store.Field{Key: "pins", Value: store.ListValue(store.IntValue(4), store.FloatValue(0.1))},
			store.Field{Key: "raw", Value: store.TupleValue(store.BytesValue(bin), store.NoneValue())}),
	}
	if err := boardpy.Define(ctx, b, vals, io.Discard); err != nil {
		t.Fatalf("Define: %v", err)
	}
	got, err := boardpy.Dump(ctx, b, []string{"ip", "buf", "cfg", "nosuchname"})
	for n, v := range vals {
		if !got[n].Equal(v) {
			t.Errorf("%s: defined %v, dumped %v", n, v, got[n])
		}
	}
	var ve *store.VarError
	if !errors.As(err, &ve) || ve.Name != "nosuchname" || !errors.Is(err, store.ErrUndefined) {
		t.Errorf("Dump of an undefined name: error %v, want a VarError for it", err)
	}
	checkClean(t, b)

	for n := 0; n < 3; n++ {
		f := &failing{ex: b, n: n}
		if vals, err := boardpy.Dump(ctx, f, []string{"ip"}); !errors.Is(err, errInterrupted) || vals != nil {
			t.Errorf("Dump failing after %d steps = %v, %v; want the interruption and no values", n, vals, err)
		}
		checkClean(t, b)
	}
	if err := boardpy.Define(ctx, &failing{ex: b}, vals, io.Discard); !errors.Is(err, errInterrupted) {
		t.Errorf("Define failing = %v, want the interruption", err)
	}
	checkClean(t, b)
}
