// Command lazify rewrites symbol files made by `yaegi extract` so that a
// package's symbol table is built when the interpreter first needs it,
// not at program start.
//
// Patch for iotkernel (see the README of this copy): an extracted file
// fills its table in init,
//
//	func init() {
//		Symbols["fmt/fmt"] = map[string]reflect.Value{
//			...
//		}
//	}
//
// which, over the whole standard library, runs a megabyte of code and
// allocates tens of thousands of values in every program that links the
// package, used or not. lazify turns it into
//
//	func init() {
//		Names["fmt/fmt"] = "Append Appendf ..."
//		Lazy["fmt/fmt"] = symbols_fmt_fmt
//	}
//
//	func symbols_fmt_fmt() map[string]reflect.Value {
//		return map[string]reflect.Value{
//			...
//		}
//	}
//
// leaving the table's lines as they were. Interpreter.UseLazy takes Lazy;
// Names lists the exported names without building anything (for
// completion and auto-import). Run it after `go generate` in stdlib and
// stdlib/syscall:
//
//	go run ./internal/cmd/lazify stdlib/go1_*.go stdlib/syscall/go1_*.go
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"regexp"
	"strings"
)

var (
	head    = regexp.MustCompile(`(?m)^func init\(\) \{\n\tSymbols\["([^"]+)"\] = map\[string\]reflect\.Value\{\n`)
	entry   = regexp.MustCompile(`(?m)^\t\t"([^"]+)":`)
	nonWord = regexp.MustCompile(`[^A-Za-z0-9]+`)
)

func main() {
	status := 0
	for _, name := range os.Args[1:] {
		if err := lazify(name); err != nil {
			fmt.Fprintf(os.Stderr, "lazify: %s: %v\n", name, err)
			status = 1
		}
	}
	os.Exit(status)
}

func lazify(name string) error {
	src, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	m := head.FindSubmatchIndex(src)
	if m == nil {
		if bytes.Contains(src, []byte("\tLazy[")) || bytes.Contains(src, []byte("] = map[string]reflect.Value{}\n")) {
			return nil // done before, or an empty table (generic packages)
		}
		return fmt.Errorf("no `Symbols[...] = map[string]reflect.Value{` in an init function")
	}
	key := string(src[m[2]:m[3]])
	body := src[m[1]:]
	end := bytes.Index(body, []byte("\n\t}\n}\n"))
	if end < 0 {
		return fmt.Errorf("the table of %s does not end as extract writes it", key)
	}
	var names []string
	for _, e := range entry.FindAllSubmatch(body[:end], -1) {
		names = append(names, string(e[1]))
	}
	fn := "symbols_" + strings.Trim(nonWord.ReplaceAllString(key, "_"), "_")

	var out bytes.Buffer
	out.Write(src[:m[0]])
	fmt.Fprintf(&out, "func init() {\n\tNames[%q] = %q\n\tLazy[%q] = %s\n}\n\n", key, strings.Join(names, " "), key, fn)
	fmt.Fprintf(&out, "// %s builds the symbols of %s when first used (Lazy).\n", fn, key[:strings.LastIndex(key, "/")])
	fmt.Fprintf(&out, "func %s() map[string]reflect.Value {\n\treturn map[string]reflect.Value{\n", fn)
	out.Write(body)
	res, err := format.Source(out.Bytes())
	if err != nil {
		return err
	}
	return os.WriteFile(name, res, 0o644)
}
