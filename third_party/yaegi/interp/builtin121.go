package interp

// iotkernel: the built-ins Go 1.21 added, min, max and clear, which yaegi
// v0.16.1 does not have. They follow the Go specification: min and max
// take one or more arguments of one ordered type (integers, floats,
// strings), untyped constants taking the type of the typed arguments; of
// constants only, the result is a constant; a float NaN wins, and
// min(-0.0, 0.0) is -0.0, as math.Min and math.Max do. clear deletes a
// map's entries or zeroes a slice's elements.

import (
	"go/constant"
	"go/token"
	"math"
	"reflect"
)

// isOrdered reports whether values of t compare with < (integers, floats
// and strings).
func isOrdered(t reflect.Type) bool {
	return t != nil && (isInt(t) || isFloat(t) || isString(t))
}

// minMax checks the arguments of a call to min or max, and gives the
// untyped ones their type: that of the typed arguments, else the widest
// of the untyped kinds (an untyped float over an untyped int).
func (check typecheck) minMax(name string, n *node, params []param) error {
	var common *itype
	for _, p := range params {
		if p.typ != nil {
			return p.nod.cfgErrorf("multiple-value %s in single-value context", p.nod.typ.id())
		}
		t := p.Type()
		switch {
		case t.untyped:
		case common == nil || common.untyped:
			common = t
		case !t.equals(common):
			return n.cfgErrorf("invalid argument: mismatched types %s and %s in call to %s", common.id(), t.id(), name)
		}
	}
	if common == nil {
		// Constants only: the widest untyped kind.
		for _, p := range params {
			if t := p.Type(); common == nil || widerUntyped(t, common) {
				common = t
			}
		}
	}
	for _, p := range params {
		if err := check.convertUntyped(p.nod, common); err != nil {
			return err
		}
		if t := p.Type(); !isOrdered(t.TypeOf()) {
			return p.nod.cfgErrorf("invalid argument: %s cannot be ordered, as %s's arguments must be", t.id(), name)
		}
	}
	return nil
}

// clear checks the argument of a call to clear.
func (check typecheck) clear(p param) error {
	if p.typ != nil {
		return p.nod.cfgErrorf("multiple-value %s in single-value context", p.nod.typ.id())
	}
	if t := p.Type().TypeOf(); t == nil || t.Kind() != reflect.Map && t.Kind() != reflect.Slice {
		return p.nod.cfgErrorf("invalid argument: %s is not a map or slice, which clear needs", p.Type().id())
	}
	return nil
}

// minMaxType is the type of a call to min or max with the arguments args:
// that of the typed ones, else the widest untyped kind. It may be asked
// before the call is type-checked (a global declared from it).
func minMaxType(interp *Interpreter, sc *scope, args []*node, seen []*node) (*itype, error) {
	var common *itype
	for _, a := range args {
		t, err := nodeType2(interp, sc, a, seen)
		if err != nil {
			return nil, err
		}
		switch {
		case !t.untyped:
			return t, nil
		case common == nil || widerUntyped(t, common):
			common = t
		}
	}
	return common, nil
}

// widerUntyped reports whether the untyped numeric type t ranks above the
// untyped type than (int, then rune, then float), as a constant expression
// mixing them takes the kind of the one that ranks highest; reflect's
// kinds run in that order.
func widerUntyped(t, than *itype) bool {
	return isNumber(t.TypeOf()) && isNumber(than.TypeOf()) && t.TypeOf().Kind() > than.TypeOf().Kind()
}

// pickMinMax returns the function that picks of a and b, of type t, the
// smaller (sign < 0) or the larger (sign > 0).
func pickMinMax(t reflect.Type, sign int) func(a, b reflect.Value) reflect.Value {
	if isFloat(t) {
		pick := math.Max
		if sign < 0 {
			pick = math.Min
		}
		return func(a, b reflect.Value) reflect.Value {
			v := reflect.New(t).Elem()
			v.SetFloat(pick(a.Float(), b.Float()))
			return v
		}
	}
	var less func(a, b reflect.Value) bool
	switch {
	case isUint(t):
		less = func(a, b reflect.Value) bool { return a.Uint() < b.Uint() }
	case isInt(t):
		less = func(a, b reflect.Value) bool { return a.Int() < b.Int() }
	default: // string
		less = func(a, b reflect.Value) bool { return a.String() < b.String() }
	}
	if sign < 0 {
		return func(a, b reflect.Value) reflect.Value {
			if less(b, a) {
				return b
			}
			return a
		}
	}
	return func(a, b reflect.Value) reflect.Value {
		if less(a, b) {
			return b
		}
		return a
	}
}

func _min(n *node) { minMaxRun(n, -1) }
func _max(n *node) { minMaxRun(n, 1) }

// minMaxRun generates the code of a call to min or max whose arguments
// are not all constants.
func minMaxRun(n *node, sign int) {
	t := n.typ.TypeOf()
	dest := genValueOutput(n, t)
	args := n.child[1:]
	vals := make([]func(*frame) reflect.Value, len(args))
	for i, c := range args {
		convertLiteralValue(c, t)
		vals[i] = genValue(c)
	}
	pick := pickMinMax(t, sign)
	next := getExec(n.tnext)
	n.exec = func(f *frame) bltn {
		r := vals[0](f)
		for _, v := range vals[1:] {
			r = pick(r, v(f))
		}
		dest(f).Set(r)
		return next
	}
}

func minConst(n *node) { minMaxConst(n, -1) }
func maxConst(n *node) { minMaxConst(n, 1) }

// minMaxConst folds a call to min or max whose arguments are all
// constants into a constant: untyped if they all are.
func minMaxConst(n *node, sign int) {
	args := n.child[1:]
	for _, c := range args {
		if !c.rval.IsValid() {
			return
		}
	}
	if n.typ.untyped {
		op := token.GTR
		if sign < 0 {
			op = token.LSS
		}
		var best constant.Value
		for _, c := range args {
			v := vConstantValue(c.rval)
			if v == nil {
				v = constant.Make(c.rval.Interface())
			}
			if best == nil || constant.Compare(v, op, best) {
				best = v
			}
		}
		n.rval = reflect.New(constVal).Elem()
		n.rval.Set(reflect.ValueOf(best))
	} else {
		t := n.typ.TypeOf()
		pick := pickMinMax(t, sign)
		var r reflect.Value
		for _, c := range args {
			convertLiteralValue(c, t)
			if !r.IsValid() {
				r = c.rval
				continue
			}
			r = pick(r, c.rval)
		}
		n.rval = r
	}
	n.gen = nop
}

// _clear generates the code of a call to clear.
func _clear(n *node) {
	in := []func(*frame) reflect.Value{genValue(n.child[1])}
	genBuiltinDeferWrapper(n, in, nil, func(args []reflect.Value) []reflect.Value {
		args[0].Clear()
		return nil
	})
}
