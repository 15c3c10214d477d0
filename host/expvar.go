package host

import (
	"expvar"
	"fmt"
	"net/http"
	"reflect"
	"sync"
)

// Cells' expvar publishes to a registry of the interpreter's. The
// standard library's is the process's and cannot forget a name, so a
// cell that published "hits" panicked ("Reuse of exported var name") when
// it ran again after %hostreset; and its "cmdline" is the kernel's
// command line, with the connection file's path. The interpreter's has
// "cmdline" (the cells' os.Args) and "memstats" as a program's has, and
// its handler is what importing expvar registers on the interpreter's
// http.DefaultServeMux (servemux.go).
type cellVars struct {
	mu   sync.Mutex
	vars expvar.Map
}

func newCellVars(args *[]string) *cellVars {
	c := &cellVars{}
	c.vars.Init()
	c.vars.Set("cmdline", expvar.Func(func() any { return *args }))
	// The process's memstats, which expvar publishes at start, is the
	// same for every interpreter.
	c.vars.Set("memstats", expvar.Get("memstats"))
	return c
}

// publish is expvar.Publish: it panics, as Go's does, when name is taken.
func (c *cellVars) publish(name string, v expvar.Var) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vars.Get(name) != nil {
		panic("Reuse of exported var name: " + name)
	}
	c.vars.Set(name, v)
}

// ServeHTTP writes the variables as one JSON object, as expvar's handler
// does.
func (c *cellVars) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	fmt.Fprint(w, "{\n")
	first := true
	c.vars.Do(func(kv expvar.KeyValue) {
		if !first {
			fmt.Fprint(w, ",\n")
		}
		first = false
		fmt.Fprintf(w, "%q: %s", kv.Key, kv.Value)
	})
	fmt.Fprint(w, "\n}\n")
}

// exports returns package expvar's functions for cells.
func (c *cellVars) exports() map[string]reflect.Value {
	return map[string]reflect.Value{
		"Publish":   reflect.ValueOf(c.publish),
		"Get":       reflect.ValueOf(c.vars.Get),
		"Do":        reflect.ValueOf(c.vars.Do),
		"Handler":   reflect.ValueOf(func() http.Handler { return c }),
		"NewInt":    reflect.ValueOf(newVar(c, func() *expvar.Int { return new(expvar.Int) })),
		"NewFloat":  reflect.ValueOf(newVar(c, func() *expvar.Float { return new(expvar.Float) })),
		"NewString": reflect.ValueOf(newVar(c, func() *expvar.String { return new(expvar.String) })),
		"NewMap":    reflect.ValueOf(newVar(c, func() *expvar.Map { return new(expvar.Map).Init() })),
	}
}

// newVar returns expvar's NewInt, NewFloat... for c: a function that
// publishes a new variable under a name and returns it.
func newVar[V expvar.Var](c *cellVars, fresh func() V) func(name string) V {
	return func(name string) V {
		v := fresh()
		c.publish(name, v)
		return v
	}
}
