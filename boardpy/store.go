package boardpy

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/iotkernel/iotkernel/pysource"
	"github.com/iotkernel/iotkernel/store"
)

// dumpSteps are the board side of Dump, in three parts that the board
// compiles one at a time: a micro:bit, with some 7 KB of heap free,
// cannot hold the source and parse tree of all three at once next to the
// user's variables. They keep to what MicroPython 1.9 and CPython 3
// share: no f-strings, no json or binascii (absent on small ports), no
// type.__name__ (absent on the micro:bit), and only ASCII output. They
// are terse, one-space indented, with no class and no extra pass over the
// value, and share one module of builtins, since notebooks do shadow
// list, type or bytes.
//
// They print the records that store.ParsePythonDump reads. Each value
// becomes one line "=NAME TOKENS" (see the store's dumpParser). str and
// bytes are written byte by byte, printable ASCII as is and everything
// else, '%' and ';' included, as %XX, so that any content survives.
// Floats go as their IEEE 754 bits when struct can pack a double, else as
// repr. An unsupported object becomes the token "?" and its
// str(type(x)), for the parser to refuse; a dict key that is not a str is
// refused by the parser too. The line is printed in pieces as it is
// encoded, so a long value needs little RAM, and it is encoded with an
// explicit stack rather than recursion, which the micro:bit's small C
// stack stops at three levels. If encoding raises (MemoryError, nesting
// too deep) the broken line is ended and an error record "!NAME E TEXT;"
// follows, which the parser prefers. An undefined name is "!NAME N", an
// invalid one "!NAME I".
var dumpSteps = [...]string{
	// The output buffer, its writer, the escaper, and struct's pack when
	// it can pack a double.
	`import builtins as _ik_B
_ik_o=[]
def _ik_w(s):
 o=_ik_o
 o.append(s)
 if _ik_B.len(o)>31:
  _ik_B.print(''.join(o),end='')
  del o[:]
def _ik_q(b):
 w,C=_ik_w,_ik_B.chr
 for c in b:
  w(C(c) if 31<c<127 and c!=37 and c!=59 else '%%%02x'%c)
 w(';')
try:
 from struct import pack as _ik_pk
 _ik_pk('>d',1.0)
except _ik_B.Exception:
 _ik_pk=None
`,
	// The encoder of one value.
	`def _ik_v(x):
 B,w,pack=_ik_B,_ik_w,_ik_pk
 I,S=B.isinstance,B.str
 s,d=[0,x],0
 while s:
  x=s.pop()
  if s.pop():
   w(x)
   d-=1
  elif x is None or x is True or x is False:
   w('N' if x is None else 'T' if x else 'F')
  elif I(x,B.int):
   w('i'+S(x)+';')
  elif I(x,B.float):
   if pack:
    w('f')
    for c in pack('>d',x):
     w('%02x'%c)
    w(';')
   else:
    w('g'+B.repr(x)+';')
  elif I(x,S):
   w('s')
   _ik_q(B.bytes(x,'utf-8'))
  elif I(x,(B.bytes,B.bytearray)):
   w('b' if I(x,B.bytes) else 'a')
   _ik_q(x)
  elif I(x,(B.list,B.tuple,B.dict)):
   d+=1
   if d>100:
    raise B.ValueError('nested more than 100 levels deep')
   t='[]' if I(x,B.list) else '()' if I(x,B.tuple) else '{}'
   w(t[0])
   s+=[1,t[1]]
   y=B.list(x)
   i=B.len(y)
   while i:
    i-=1
    if t=='{}':
     s+=[0,x[y[i]]]
    s+=[0,y[i]]
  else:
   w('?')
   _ik_q(B.bytes(S(B.type(x)),'utf-8'))
`,
	// The records, between the markers (the call follows).
	`def _ik_store_dump(names,bad,begin,end):
 B,o=_ik_B,_ik_o
 P,S=B.print,B.str
 g=B.globals()
 P(begin)
 for n in names:
  try:
   if n in g:
    _ik_w('='+n+' ')
    _ik_v(g[n])
    P(''.join(o))
   else:
    P('!'+n+' N')
  except B.Exception as x:
   del o[:]
   P('\n!'+n+' E ',end='')
   _ik_q(B.bytes(S(B.type(x))+': '+S(x),'utf-8'))
   P(''.join(o))
  del o[:]
 for n in bad:
  P('!'+n+' I')
 P(end)
`,
}

// dumpNames are the names the dump steps define.
var dumpNames = []string{"_ik_store_dump", "_ik_v", "_ik_q", "_ik_w", "_ik_pk", "_ik_o", "_ik_B"}

// dumpProgram returns the steps of Dump for names, each compiled on its
// own, in the same namespace. Only the last prints, and it deletes every
// name the steps define.
func dumpProgram(names []string) []string {
	var good, bad []string
	seen := make(map[string]bool)
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		if store.ValidName(n) {
			good = append(good, n)
		} else {
			bad = append(bad, n)
		}
	}
	list := func(names []string, quote func(string) string) string {
		q := make([]string, len(names))
		for i, n := range names {
			q[i] = pysource.Str(quote(n))
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	same := func(s string) string { return s }
	call := "try:\n _ik_store_dump(" + list(good, same) + ", " + list(bad, escapeName) + ", " +
		pysource.Str(store.DumpBegin) + ", " + pysource.Str(store.DumpEnd) + ")\nfinally:\n del " + strings.Join(dumpNames, ", ") + "\n"
	return []string{dumpSteps[0], dumpSteps[1], dumpSteps[2] + call}
}

// escapeName encodes a name for a record line as the dump program's _ik_q
// would, and escapes spaces too, since a space ends the name.
func escapeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > ' ' && c < 127 && c != '%' && c != ';' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02x", c)
		}
	}
	return b.String()
}

// Dump reads the named global variables of the board as store values.
// It returns every variable that could be read; each one that could not
// (undefined, of a type the store cannot hold, an int beyond int64, an
// invalid name) is a *store.VarError in the returned error, joined with
// errors.Join. A board error (an interrupt, say) comes back unchanged,
// with no values, and the board keeps none of the program's names.
func Dump(ctx context.Context, ex Execer, names []string) (map[string]store.Value, error) {
	var out strings.Builder
	for _, step := range dumpProgram(names) {
		if err := ex.Exec(ctx, step, &out, io.Discard); err != nil {
			cleanup(ctx, ex)
			return nil, err
		}
	}
	return store.ParsePythonDump(out.String())
}

// defineBytearray is Define's name for the builtin bytearray.
const defineBytearray = "_ik_bytearray"

// Define assigns each value to its name among the board's globals,
// writing what the board prints to stdout.
func Define(ctx context.Context, ex Execer, vars map[string]store.Value, stdout io.Writer) error {
	code, ba, err := store.PythonDefine(vars, defineBytearray)
	if err != nil {
		return err
	}
	if ba {
		code = "from builtins import bytearray as " + defineBytearray + "\n" + code + "del " + defineBytearray + "\n"
	}
	if err := ex.Exec(ctx, code, stdout, io.Discard); err != nil {
		cleanup(ctx, ex)
		return err
	}
	return nil
}
