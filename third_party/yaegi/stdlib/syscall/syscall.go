// Package syscall provide wrapper of standard library syscall package for native import in Yaegi.
package syscall

import "reflect"

// Symbols stores the map of syscall package symbols.
var Symbols = map[string]map[string]reflect.Value{}

// Lazy holds, by the same keys as Symbols, the functions that build the
// symbols of the extracted packages, for Interpreter.UseLazy: a table is
// built only when a program imports its package. (Patched for iotkernel:
// the extracted files used to fill Symbols at start, see
// internal/cmd/lazify.)
var Lazy = map[string]func() map[string]reflect.Value{}

// Names holds, by the same keys as Lazy, the package's exported names
// (and its interface wrappers, with a leading "_"), separated by spaces,
// for listing them without building the table.
var Names = map[string]string{}

func init() {
	Symbols["github.com/traefik/yaegi/stdlib/syscall/syscall"] = map[string]reflect.Value{
		"Symbols": reflect.ValueOf(Symbols),
	}
}

//go:generate ../../internal/cmd/extract/extract -exclude=^Exec,Exit,ForkExec,Kill,Ptrace,Reboot,Shutdown,StartProcess,Syscall syscall
