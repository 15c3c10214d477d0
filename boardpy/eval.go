package boardpy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/iotkernel/iotkernel/pysource"
	"github.com/iotkernel/iotkernel/store"
)

// evalName is the global that holds the value Eval reads, for the
// moment it takes to print it.
const evalName = "_ik_e"

// noHelpers is what evalCode prints, alone on its line, when the eval
// helper is gone from the board (a reset, or a clean-up deleting every
// _ik_ name).
const noHelpers = "_ik_: no eval helper"

// evalHelper, defined once on the board after the dump helpers, prints
// the value of its argument as the dump record of evalName: each Eval
// then sends a line or two. It prints noHelpers instead when the dump
// helpers are gone (%store's Dump deletes them after its own use); it
// keeps its own reference to the builtins, which Dump deletes too.
var evalHelper = "def _ik_ev(x,B=_ik_B):\n g=B.globals()\n if '_ik_store_dump' not in g:\n  B.print(" + pysource.Str(noHelpers) +
	")\n  return\n g[" + pysource.Str(evalName) + "]=x\n try:\n  _ik_store_dump([" +
	pysource.Str(evalName) + "],[]," + pysource.Str(store.DumpBegin) + "," + pysource.Str(store.DumpEnd) +
	")\n finally:\n  del g[" + pysource.Str(evalName) + "]\n"

// evalCode evaluates expr and prints its value through the eval helper,
// or prints noHelpers when the helper is gone.
func evalCode(expr string) string {
	return "if '_ik_ev' in globals():_ik_ev((\n" + expr + "\n))\nelse:print(" + pysource.Str(noHelpers) + ")\n"
}

// Eval evaluates the Python expression expr on the board and returns its
// value, read as %store reads a variable: one round trip once the dump
// helpers and the eval helper are on the board, which the first call (and
// the first after they were deleted) defines, in four more. An exception the
// expression raises is the Execer's error; a value of a type the
// store cannot hold is a *store.VarError.
func Eval(ctx context.Context, ex Execer, expr string) (store.Value, error) {
	if strings.TrimSpace(expr) == "" {
		return store.Value{}, errors.New("eval: empty expression")
	}
	var out strings.Builder
	err := ex.Exec(ctx, evalCode(expr), &out, nil)
	if err == nil && strings.TrimSpace(out.String()) == noHelpers {
		for _, step := range append(dumpSteps[:len(dumpSteps):len(dumpSteps)], evalHelper) {
			if err := ex.Exec(ctx, step, nil, nil); err != nil {
				return store.Value{}, fmt.Errorf("eval: define the dump helpers: %w", err)
			}
		}
		out.Reset()
		err = ex.Exec(ctx, evalCode(expr), &out, nil)
	}
	if err != nil {
		return store.Value{}, err
	}
	vals, err := store.ParsePythonDump(out.String())
	if v, ok := vals[evalName]; ok && err == nil {
		return v, nil
	}
	var ve *store.VarError
	if errors.As(err, &ve) {
		return store.Value{}, fmt.Errorf("eval %.60q: %w", expr, ve.Err)
	}
	if err == nil {
		err = errors.New("the board printed no value")
	}
	return store.Value{}, fmt.Errorf("eval %.60q: %w", expr, err)
}

// CallExpr is the Python expression calling fn with args, each a value
// the store can hold, as a Python literal.
func CallExpr(fn string, args ...store.Value) (string, error) {
	lits := make([]string, len(args))
	for i, a := range args {
		l, err := a.PythonLiteral()
		if err != nil {
			return "", fmt.Errorf("argument %d: %w", i+1, err)
		}
		lits[i] = l
	}
	return fn + "(" + strings.Join(lits, ", ") + ")", nil
}
