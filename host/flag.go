package host

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
)

// Cells' flag package works on a command line of the interpreter's. The
// standard library's package-level functions (flag.Int, flag.Parse) act
// on the process's flag.CommandLine, whose arguments are the kernel's
// own ("kernel -f /path/to/connection.json"), while yaegi gave cells a
// CommandLine of their own: flag.Int defined a flag that
// flag.CommandLine.Parse did not know, flag.Args() showed the kernel's
// arguments, and the flags outlived %hostreset (running the cell again
// in the fresh interpreter panicked, "flag redefined"). And a FlagSet
// made with flag.ExitOnError called the real os.Exit on a bad flag,
// ending the kernel.
//
// So cells get CommandLine, the functions that use it, Usage and Parse
// bound to a FlagSet of the interpreter's, which parses the cells' os.Args;
// flag.Parse ends the cell on a bad flag as os.Exit(2) would (os.Exit(0)
// for -h), having printed the error and the usage to the cell's stderr.
// NewFlagSet's ExitOnError becomes PanicOnError: the error ends the cell
// with a panic, not the kernel.

// commandLineFuncs are the functions of package flag that call the
// method of the same name on flag.CommandLine.
var commandLineFuncs = map[string]any{
	"Arg": flag.Arg, "Args": flag.Args, "Bool": flag.Bool, "BoolFunc": flag.BoolFunc, "BoolVar": flag.BoolVar,
	"Duration": flag.Duration, "DurationVar": flag.DurationVar, "Float64": flag.Float64, "Float64Var": flag.Float64Var,
	"Func": flag.Func, "Int": flag.Int, "Int64": flag.Int64, "Int64Var": flag.Int64Var, "IntVar": flag.IntVar,
	"Lookup": flag.Lookup, "NArg": flag.NArg, "NFlag": flag.NFlag, "Parsed": flag.Parsed, "PrintDefaults": flag.PrintDefaults,
	"Set": flag.Set, "String": flag.String, "StringVar": flag.StringVar, "TextVar": flag.TextVar, "Uint": flag.Uint,
	"Uint64": flag.Uint64, "Uint64Var": flag.Uint64Var, "UintVar": flag.UintVar, "Var": flag.Var, "Visit": flag.Visit,
	"VisitAll": flag.VisitAll,
}

// flagExports returns package flag's symbols for cells whose os.Args is
// *args and whose stderr is stderr.
func (in *Interp) flagExports(args *[]string, stderr io.Writer) map[string]reflect.Value {
	newFlagSet := func(name string, h flag.ErrorHandling) *flag.FlagSet {
		if h == flag.ExitOnError {
			h = flag.PanicOnError
		}
		fs := flag.NewFlagSet(name, h)
		fs.SetOutput(stderr)
		return fs
	}
	cl := newFlagSet((*args)[0], flag.ContinueOnError)
	var usage func()
	usage = func() {
		fmt.Fprintf(cl.Output(), "Usage of %s:\n", cl.Name())
		cl.PrintDefaults()
	}
	cl.Usage = func() { usage() }
	syms := map[string]reflect.Value{
		"CommandLine": reflect.ValueOf(&cl).Elem(),
		"Usage":       reflect.ValueOf(&usage).Elem(),
		"NewFlagSet":  reflect.ValueOf(newFlagSet),
		"Parse": reflect.ValueOf(func() {
			var rest []string
			if len(*args) > 0 {
				rest = (*args)[1:]
			}
			if err := cl.Parse(rest); err != nil {
				code := 2
				if errors.Is(err, flag.ErrHelp) {
					code = 0
				}
				in.exitVia("flag.Parse", code)
			}
		}),
	}
	for name, f := range commandLineFuncs {
		syms[name] = reflect.MakeFunc(reflect.TypeOf(f), func(a []reflect.Value) []reflect.Value {
			return reflect.ValueOf(cl).MethodByName(name).Call(a)
		})
	}
	return syms
}
