package interp

import (
	"go/constant"
	"go/token"
	"reflect"
	"strings"
	"testing"
)

// Assigning to a variable of a binary package sets it whatever the
// right-hand side: a call, a composite literal, an expression.
func TestAssignBinaryVariable(t *testing.T) {
	var v []string
	var n int
	i := New(Options{})
	if err := i.Use(Exports{
		"pkg/pkg": {
			"V":      reflect.ValueOf(&v).Elem(),
			"N":      reflect.ValueOf(&n).Elem(),
			"Fields": reflect.ValueOf(strings.Fields),
			"K":      reflect.ValueOf(5),
			"C":      reflect.ValueOf(constant.MakeFromLiteral("7", token.INT, 0)),
		},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := i.Eval(`import "pkg"`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		src   string
		check func() bool
	}{
		{`pkg.V = []string{"a", "b"}`, func() bool { return len(v) == 2 && v[1] == "b" }},
		{`pkg.V = pkg.Fields("x y z")`, func() bool { return len(v) == 3 && v[2] == "z" }},
		{`pkg.V = append([]string(nil), "one")`, func() bool { return len(v) == 1 && v[0] == "one" }},
		{`a, b := 3, 4; pkg.N = a + b`, func() bool { return n == 7 }},
		{`ch := make(chan int, 1); ch <- 9; pkg.N = <-ch`, func() bool { return n == 9 }},
		{`func() { pkg.V = []string{"in", "a", "func"} }()`, func() bool { return len(v) == 3 && v[0] == "in" }},
	} {
		if _, err := i.Eval(c.src); err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if !c.check() {
			t.Errorf("%s: V = %q, N = %d", c.src, v, n)
		}
	}
	// Constants stay constants.
	for _, src := range []string{"pkg.K = 1", "pkg.C = 1"} {
		if _, err := i.Eval(src); err == nil || !strings.Contains(err.Error(), "cannot assign to") {
			t.Errorf("%s: err %v, want cannot assign to a constant", src, err)
		}
	}
}

// A package-level var may use a variable that an earlier program defined
// with := (a REPL's earlier cell); a real loop is still refused.
func TestGlobalVarOfAnEarlierDefinition(t *testing.T) {
	i := New(Options{})
	if _, err := i.Eval("z := []int{1, 2}"); err != nil {
		t.Fatal(err)
	}
	if _, err := i.Eval("var c = len(z)"); err != nil {
		t.Fatalf("var c = len(z) after z := ...: %v", err)
	}
	if v, err := i.Eval("c"); err != nil || v.Interface() != 2 {
		t.Errorf("c = %v, %v; want 2", v, err)
	}
	if _, err := i.Eval("var x = y\nvar y = x"); err == nil || !strings.Contains(err.Error(), "definition loop") {
		t.Errorf("var x = y; var y = x: %v, want a definition loop", err)
	}
}
