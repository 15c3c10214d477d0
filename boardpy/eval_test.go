package boardpy_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/store"
)

func TestEvalRoundTrip(t *testing.T) {
	b := localBoard(t)
	ctx := context.Background()
	vals := map[string]store.Value{
		"none":  store.NoneValue(),
		"yes":   store.BoolValue(true),
		"neg":   store.IntValue(-1 << 62),
		"tenth": store.FloatValue(0.1),
		"bytes": store.BytesValue([]byte{0, 4, 0xff}),
		"text":  store.StrValue("it's \"odd\"\n\x04\u00e9\U0001f600%;"),
		"tuple": store.TupleValue(store.StrValue("one"), store.IntValue(2)),
		"dict": store.DictValue(
			store.Field{Key: "k", Value: store.ListValue(store.IntValue(1), store.FloatValue(-2.5))},
			store.Field{Key: "q", Value: store.DictValue(store.Field{Key: "n", Value: store.BytesValue([]byte("x"))})},
		),
	}
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		lit, err := vals[n].PythonLiteral()
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		got, err := boardpy.Eval(ctx, b, lit)
		if err != nil {
			t.Errorf("Eval(%s) %v", n, err)
			continue
		}
		if !got.Equal(vals[n]) {
			t.Errorf("Eval(%s) = %v, want %v", n, got, vals[n])
		}
	}
	// %store's Dump deletes the dump helpers; Eval defines them again.
	runOn(t, b, "x = [1, 'two']\n")
	if _, err := boardpy.Dump(ctx, b, []string{"x"}); err != nil {
		t.Fatal(err)
	}
	got, err := boardpy.Eval(ctx, b, "x")
	if want := store.ListValue(store.IntValue(1), store.StrValue("two")); err != nil || !got.Equal(want) {
		t.Errorf("Eval after Dump = %v, %v; want %v", got, err, want)
	}
	// An expression that raises is the board's error; a value the store
	// cannot hold is refused.
	if _, err := boardpy.Eval(ctx, b, "1/0"); err == nil || !strings.Contains(err.Error(), "ZeroDivisionError") {
		t.Errorf("Eval(1/0) error = %v", err)
	}
	if _, err := boardpy.Eval(ctx, b, "object()"); err == nil || !strings.Contains(err.Error(), "cannot store object") {
		t.Errorf("Eval(object()) error = %v", err)
	}
	if _, err := boardpy.Eval(ctx, b, "  "); err == nil {
		t.Error("Eval of an empty expression: no error")
	}
}

func TestCallExpr(t *testing.T) {
	got, err := boardpy.CallExpr("f", store.IntValue(1), store.StrValue("a'b"), store.ListValue())
	if want := `f(1, 'a\'b', [])`; err != nil || got != want {
		t.Errorf("CallExpr = %q, %v; want %q", got, err, want)
	}
}
