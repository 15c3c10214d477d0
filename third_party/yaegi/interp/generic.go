package interp

import (
	"reflect"
	"strings"
	"sync/atomic"
)

// adot produces an AST dot(1) directed acyclic graph for the given node. For debugging only.
// func (n *node) adot() { n.astDot(dotWriter(n.interp.dotCmd), n.ident) }

// genAST returns a new AST where generic types are replaced by instantiated types.
func genAST(sc *scope, root *node, types []*itype) (*node, bool, error) {
	typeParam := map[string]*node{}
	pindex := 0
	tname := ""
	rtname := ""
	recvrPtr := false
	fixNodes := []*node{}
	var gtree func(*node, *node) (*node, error)
	sname := root.child[0].ident + "["
	if root.kind == funcDecl {
		sname = root.child[1].ident + "["
	}

	// Input type parameters must be resolved prior AST generation, as compilation
	// of generated AST may occur in a different scope.
	for _, t := range types {
		sname += t.id() + ","
	}
	sname = strings.TrimSuffix(sname, ",") + "]"

	gtree = func(n, anc *node) (*node, error) {
		nod := copyNode(n, anc, false)
		switch n.kind {
		case funcDecl, funcType:
			nod.val = nod

		case identExpr:
			// Replace generic type by instantiated one.
			nt, ok := typeParam[n.ident]
			if !ok {
				break
			}
			nod = copyNode(nt, anc, true)
			nod.typ = nt.typ

		case indexExpr:
			// Catch a possible recursive generic type definition
			if root.kind != typeSpec {
				break
			}
			if root.child[0].ident != n.child[0].ident {
				break
			}
			nod := copyNode(n.child[0], anc, false)
			fixNodes = append(fixNodes, nod)
			return nod, nil

		case fieldList:
			//  Node is the type parameters list of a generic function.
			if root.kind == funcDecl && n.anc == root.child[2] && childPos(n) == 0 {
				// Fill the types lookup table used for type substitution.
				for _, c := range n.child {
					l := len(c.child) - 1
					for _, cc := range c.child[:l] {
						if pindex >= len(types) {
							return nil, cc.cfgErrorf("undefined type for %s", cc.ident)
						}
						t, err := nodeType(c.interp, sc, c.child[l])
						if err != nil {
							return nil, err
						}
						if err := checkConstraint(types[pindex], t); err != nil {
							return nil, err
						}
						typeParam[cc.ident] = copyNode(cc, cc.anc, false)
						typeParam[cc.ident].ident = types[pindex].id()
						typeParam[cc.ident].typ = types[pindex]
						pindex++
					}
				}
				// Skip type parameters specification, so generated func doesn't look generic.
				return nod, nil
			}

			// Node is the receiver of a generic method.
			if root.kind == funcDecl && n.anc == root && childPos(n) == 0 && len(n.child) > 0 {
				rtn := n.child[0].child[1]
				// Method receiver is a generic type if it takes some type parameters.
				if rtn.kind == indexExpr || rtn.kind == indexListExpr || (rtn.kind == starExpr && (rtn.child[0].kind == indexExpr || rtn.child[0].kind == indexListExpr)) {
					if rtn.kind == starExpr {
						// Method receiver is a pointer on a generic type.
						rtn = rtn.child[0]
						recvrPtr = true
					}
					rtname = rtn.child[0].ident + "["
					for _, cc := range rtn.child[1:] {
						if pindex >= len(types) {
							return nil, cc.cfgErrorf("undefined type for %s", cc.ident)
						}
						it := types[pindex]
						typeParam[cc.ident] = copyNode(cc, cc.anc, false)
						typeParam[cc.ident].ident = it.id()
						typeParam[cc.ident].typ = it
						rtname += it.id() + ","
						pindex++
					}
					rtname = strings.TrimSuffix(rtname, ",") + "]"
				}
			}

			// Node is the type parameters list of a generic type.
			if root.kind == typeSpec && n.anc == root && childPos(n) == 1 {
				// Fill the types lookup table used for type substitution.
				tname = n.anc.child[0].ident + "["
				for _, c := range n.child {
					l := len(c.child) - 1
					for _, cc := range c.child[:l] {
						if pindex >= len(types) {
							return nil, cc.cfgErrorf("undefined type for %s", cc.ident)
						}
						it := types[pindex]
						t, err := nodeType(c.interp, sc, c.child[l])
						if err != nil {
							return nil, err
						}
						if err := checkConstraint(types[pindex], t); err != nil {
							return nil, err
						}
						typeParam[cc.ident] = copyNode(cc, cc.anc, false)
						typeParam[cc.ident].ident = it.id()
						typeParam[cc.ident].typ = it
						tname += it.id() + ","
						pindex++
					}
				}
				tname = strings.TrimSuffix(tname, ",") + "]"
				return nod, nil
			}
		}

		for _, c := range n.child {
			gn, err := gtree(c, nod)
			if err != nil {
				return nil, err
			}
			nod.child = append(nod.child, gn)
		}
		return nod, nil
	}

	if nod, found := root.interp.generic[sname]; found {
		return nod, true, nil
	}

	r, err := gtree(root, root.anc)
	if err != nil {
		return nil, false, err
	}
	root.interp.generic[sname] = r
	r.param = append(r.param, types...)
	if tname != "" {
		for _, nod := range fixNodes {
			nod.ident = tname
		}
		r.child[0].ident = tname
	}
	if rtname != "" {
		// Replace method receiver type by synthetized ident.
		nod := r.child[0].child[0].child[1]
		if recvrPtr {
			nod = nod.child[0]
		}
		nod.kind = identExpr
		nod.ident = rtname
		nod.child = nil
	}
	// r.adot() // Used for debugging only.
	return r, false, nil
}

func copyNode(n, anc *node, recursive bool) *node {
	var i interface{}
	nindex := atomic.AddInt64(&n.interp.nindex, 1)
	nod := &node{
		debug:  n.debug,
		anc:    anc,
		interp: n.interp,
		index:  nindex,
		level:  n.level,
		nleft:  n.nleft,
		nright: n.nright,
		kind:   n.kind,
		pos:    n.pos,
		action: n.action,
		gen:    n.gen,
		val:    &i,
		rval:   n.rval,
		ident:  n.ident,
		meta:   n.meta,
	}
	nod.start = nod
	if recursive {
		for _, c := range n.child {
			nod.child = append(nod.child, copyNode(c, nod, true))
		}
	}
	return nod
}

// inferTypesFromCall infers the type arguments of a call of the generic
// function fun with the arguments args (spread: the last one is passed as
// f(x...)), in the order of the function's type parameters, the first
// ones given by explicit (f[T](...), or an instantiation f[T] without a
// call and without args). It stops at the first type parameter it cannot
// infer, which genAST then reports.
//
// iotkernel: inference by type parameter name, in the order Go does it:
// from the typed arguments, then from the core types of the constraints
// (S ~[]E and S bound to []int give E int), then from the default types of
// untyped constant arguments, then from the constraints again. yaegi
// v0.16.1 appended the types it met argument by argument, so it inferred
// nothing from a constraint (slices.Reverse, maps.Clone) and took a
// parameter list such as (s1, s2 S) for one argument.
func inferTypesFromCall(sc *scope, fun *node, args []*node, spread bool, explicit []*itype) ([]*itype, error) {
	names, bound, err := inferBindings(sc, fun, args, spread, explicit)
	if err != nil {
		return nil, err
	}
	types := make([]*itype, 0, len(names))
	for _, name := range names {
		t := bound[name]
		if t == nil {
			break
		}
		types = append(types, t)
	}
	return types, nil
}

// inferBindings does the work of inferTypesFromCall: it returns the names
// of fun's type parameters, in order, and the types inferred for them.
func inferBindings(sc *scope, fun *node, args []*node, spread bool, explicit []*itype) ([]string, map[string]*itype, error) {
	ftn := fun.typ.node
	// The type parameters are those of fun's declaration: look their
	// names up where it was declared, not where it is called (inside the
	// instance of another generic function, E may name that one's E).
	callerSc := sc
	if fun.scope != nil {
		sc = fun.scope
	}
	var names []string
	constraints := map[string]*itype{}
	for _, c := range ftn.child[0].child {
		typ, err := nodeType(fun.interp, sc, c.lastChild())
		if err != nil {
			return nil, nil, err
		}
		for _, cc := range c.child[:len(c.child)-1] {
			names = append(names, cc.ident)
			constraints[cc.ident] = typ
		}
	}

	bound := map[string]*itype{}
	for i, t := range explicit {
		if i < len(names) {
			bound[names[i]] = t
		}
	}
	var unify func(param, input *itype)
	unify = func(param, input *itype) {
		if param == nil || input == nil {
			return
		}
		if param.cat == genericT || param.cat == nilT {
			if _, ok := constraints[param.name]; ok {
				if bound[param.name] == nil {
					bound[param.name] = input
				}
				return
			}
		}
		switch param.cat {
		case chanT, ptrT, sliceT, arrayT, variadicT:
			unify(param.val, elemType(input))
		case mapT:
			unify(param.key, keyType(input))
			unify(param.val, elemType(input))
		case funcT:
			in, out := signature(input)
			for i, t := range param.arg {
				if i < len(in) {
					unify(t, in[i])
				}
			}
			for i, t := range param.ret {
				if i < len(out) {
					unify(t, out[i])
				}
			}
		case structT:
			if input.cat != structT || len(input.field) != len(param.field) {
				return
			}
			for i, f := range param.field {
				unify(f.typ, input.field[i].typ)
			}
		}
	}

	// Pair each parameter's type with its argument, whose type (arg) is
	// filled in below.
	type pair struct {
		param *itype
		node  *node
		arg   *itype
	}
	var pairs []pair
	ai := 0
	for _, c := range ftn.child[1].child {
		typ, err := nodeType(fun.interp, sc, c.lastChild())
		if err != nil {
			return nil, nil, err
		}
		for k := 0; k < max(len(c.child)-1, 1) && ai < len(args); k++ {
			if typ.cat != variadicT {
				pairs = append(pairs, pair{param: typ, node: args[ai]})
				ai++
				continue
			}
			for ; ai < len(args); ai++ {
				if spread && ai == len(args)-1 {
					pairs = append(pairs, pair{param: &itype{cat: sliceT, val: typ.val}, node: args[ai]})
					continue
				}
				pairs = append(pairs, pair{param: typ.val, node: args[ai]})
			}
		}
	}

	fromConstraints := func() {
		for changed := true; changed; {
			changed = false
			for _, name := range names {
				t := bound[name]
				core := coreType(constraints[name])
				if t == nil || core == nil {
					continue
				}
				before := len(bound)
				unify(core, t.underlying())
				changed = changed || len(bound) > before
			}
		}
	}
	// An argument's type is not known yet when the call's type is asked
	// before it is compiled (a global declared from the call).
	for i, p := range pairs {
		pairs[i].arg = p.node.typ
		if p.node.typ == nil {
			if t, err := nodeType(fun.interp, callerSc, p.node); err == nil && !t.incomplete {
				pairs[i].arg = t
			}
		}
	}
	for _, p := range pairs {
		if p.arg != nil && !p.arg.untyped {
			unify(p.param, p.arg)
		}
	}
	fromConstraints()
	for _, p := range pairs {
		// An untyped nil has no default type to give.
		if p.arg != nil && p.arg.untyped && p.arg.cat != nilT {
			unify(p.param, p.arg.defaultType(p.node.rval, callerSc))
		}
	}
	fromConstraints()
	return names, bound, nil
}

// substituteTypeArgs returns t with the type parameters that bound has
// replaced by their types, or nil if t holds a type parameter bound lacks
// or a type it does not know how to rebuild (a generic named type).
func substituteTypeArgs(t *itype, bound map[string]*itype) *itype {
	if t == nil {
		return nil
	}
	elem := func() *itype { return substituteTypeArgs(t.val, bound) }
	switch t.cat {
	case genericT, nilT:
		if b := bound[t.name]; b != nil {
			return b
		}
		if t.cat == genericT {
			return nil
		}
	case sliceT:
		if v := elem(); v != nil {
			return sliceOf(v, withScope(t.scope))
		}
		return nil
	case arrayT:
		if v := elem(); v != nil {
			return arrayOf(v, t.length, withScope(t.scope))
		}
		return nil
	case ptrT:
		if v := elem(); v != nil {
			return ptrOf(v, withScope(t.scope))
		}
		return nil
	case mapT:
		k, v := substituteTypeArgs(t.key, bound), elem()
		if k != nil && v != nil {
			return mapOf(k, v, withScope(t.scope))
		}
		return nil
	case chanT, chanSendT, chanRecvT:
		dir := map[tcat]chanDir{chanT: chanSendRecv, chanSendT: chanSend, chanRecvT: chanRecv}[t.cat]
		if v := elem(); v != nil {
			return chanOf(v, dir, withScope(t.scope))
		}
		return nil
	}
	return t
}

// coreType returns the single underlying type a constraint allows (~[]E
// or []E gives []E), or nil.
func coreType(c *itype) *itype {
	switch {
	case c == nil:
		return nil
	case c.cat == interfaceT || c.cat == constraintT:
		if len(c.ulconstraint) == 1 && len(c.constraint) == 0 {
			return c.ulconstraint[0]
		}
		if len(c.constraint) == 1 && len(c.ulconstraint) == 0 {
			return c.constraint[0]
		}
		return nil
	}
	return c
}

// signature returns the parameter and result types of the function type
// t, interpreted or compiled (strconv.Itoa given for a func(T) U), or
// nothing if t is no function type.
func signature(t *itype) (in, out []*itype) {
	switch {
	case t.cat == funcT:
		return t.arg, t.ret
	case t.cat == valueT && t.rtype != nil && t.rtype.Kind() == reflect.Func:
		for i := 0; i < t.rtype.NumIn(); i++ {
			in = append(in, valueTOf(t.rtype.In(i)))
		}
		for i := 0; i < t.rtype.NumOut(); i++ {
			out = append(out, valueTOf(t.rtype.Out(i)))
		}
	}
	return in, out
}

// elemType returns the element type of t (a slice, array, chan, pointer
// or map), also when t is a compiled type.
func elemType(t *itype) *itype {
	if t.val != nil {
		return t.val
	}
	if t.cat == valueT && t.rtype != nil {
		switch t.rtype.Kind() {
		case reflect.Array, reflect.Chan, reflect.Map, reflect.Pointer, reflect.Slice:
			return valueTOf(t.rtype.Elem())
		}
	}
	return nil
}

// keyType returns the key type of the map type t, also when t is a
// compiled type.
func keyType(t *itype) *itype {
	if t.key != nil {
		return t.key
	}
	if t.cat == valueT && t.rtype != nil && t.rtype.Kind() == reflect.Map {
		return valueTOf(t.rtype.Key())
	}
	return nil
}

func checkConstraint(it, ct *itype) error {
	if len(ct.constraint) == 0 && len(ct.ulconstraint) == 0 {
		return nil
	}
	for _, c := range ct.constraint {
		if it.equals(c) || it.matchDefault(c) {
			return nil
		}
	}
	for _, c := range ct.ulconstraint {
		if it.underlying().equals(c) || it.matchDefault(c) {
			return nil
		}
	}
	return it.node.cfgErrorf("%s does not implement %s", it.id(), ct.id())
}
