package host

import (
	"encoding/json"
	"expvar"
	"fmt"
	"strings"
	"testing"
)

// Cells publish expvar variables to their interpreter, whose handler
// serves them with the cells' command line, not the kernel's.
func TestExpvarInCells(t *testing.T) {
	in := newInterp(t)
	addr := freeAddr(t)
	mustEval(t, in, "hits := expvar.NewInt(\"hits\")\nhits.Add(3)\nexpvar.Publish(\"up\", expvar.Func(func() any { return true }))")
	if expvar.Get("hits") != nil {
		t.Errorf("the cell's variable was published on the process's expvar")
	}
	wantValue(t, in, `expvar.Get("hits").String()`, "3")
	_, _, err := eval(t, in, `expvar.NewInt("hits")`)
	if err == nil || !strings.Contains(err.Error(), "Reuse of exported var name: hits") {
		t.Errorf("publishing \"hits\" twice: %v, want Go's panic", err)
	}
	mustEval(t, in, fmt.Sprintf("import _ \"expvar\"\ngo http.ListenAndServe(%q, nil)", addr))
	waitFor(t, "the server", func() bool { return listening(addr) })
	code, body := get(t, "http://"+addr+"/debug/vars")
	var vars map[string]any
	if err := json.Unmarshal([]byte(body), &vars); code != 200 || err != nil {
		t.Fatalf("/debug/vars: %d %v %.200q", code, err, body)
	}
	if fmt.Sprint(vars["hits"], vars["up"], vars["cmdline"]) != "3 true [iotkernel]" || vars["memstats"] == nil {
		t.Errorf("/debug/vars: hits %v, up %v, cmdline %v, memstats present %v; want 3 true [iotkernel] true",
			vars["hits"], vars["up"], vars["cmdline"], vars["memstats"] != nil)
	}
	// A fresh interpreter publishes the name again.
	mustEval(t, newInterp(t), `expvar.NewInt("hits")`)
}
