package pysource_test

import (
	"fmt"
	"strings"

	"github.com/iotkernel/iotkernel/pysource"
)

func ExampleTokens() {
	src := `s = rb"a\"b"  # bytes`
	for t := range pysource.Tokens(src) {
		if t.Kind != pysource.Space {
			fmt.Printf("%-7v %s\n", t.Kind, src[t.Start:t.End])
		}
	}
	// Output:
	// Name    s
	// Op      =
	// String  rb"a\"b"
	// Comment # bytes
}

// A cell splitter feeds lines one at a time and asks, before each,
// whether it starts inside a string: there, "%ls" is text, not a magic.
func ExampleLineScanner() {
	cell := "s = \"\"\"a\\\"\"\"\n%ls\n\"\"\"\n%ls"
	var sc pysource.LineScanner
	for _, line := range strings.Split(cell, "\n") {
		fmt.Printf("%-5v %s\n", sc.InString(), line)
		sc.Feed(line)
	}
	// Output:
	// false s = """a\"""
	// true  %ls
	// true  """
	// false %ls
}
