package kernel

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// laterCell is the "later" cell of fakeExecutor: work that outlives its
// cell and reports through the cell's RequestOutput.
func laterCell(f *fakeExecutor, out Output, text string) {
	ro, ok := out.(RequestOutput)
	if !ok {
		fmt.Fprint(out.Stderr(), "the kernel's Output is no RequestOutput")
		return
	}
	fmt.Fprintf(out.Stdout(), "started [%d]\n", ro.ExecutionCount())
	f.mu.Lock()
	later := f.later
	f.mu.Unlock()
	go func() {
		<-later
		fmt.Fprint(out.Stdout(), text)
		ro.Error(&CellError{Name: "LateError", Value: text, Traceback: []string{"LateError: " + text}})
	}()
}

func TestOutputAfterExecuteKeepsItsParent(t *testing.T) {
	k, c := startKernel(t)
	f := k.exec
	later := make(chan struct{})
	f.mu.Lock()
	f.later = later
	f.mu.Unlock()
	id, reply, iopub := c.execute("later:done later", nil)
	rc := content(t, reply)
	if rc["status"] != "ok" {
		t.Fatalf("later cell reply = %v", rc)
	}
	count := rc["execution_count"]
	if got := strings.Join(types(iopub), ","); got != "busy,execute_input,stream,idle" {
		t.Fatalf("later cell iopub = %s", got)
	}
	if want := fmt.Sprintf("started [%v]\n", count); content(t, iopub[2])["text"] != want {
		t.Errorf("ExecutionCount: stream %v, want %q", content(t, iopub[2])["text"], want)
	}
	// Another cell runs; then the first one's work ends.
	_, reply, _ = c.execute("print:other", nil)
	if content(t, reply)["status"] != "ok" {
		t.Fatalf("second cell: %s", reply.Content)
	}
	close(later)
	var got []*Message
	deadline := time.After(5 * time.Second)
	for len(got) < 2 {
		select {
		case m := <-c.iopubMsgs:
			if parentID(m) == id {
				got = append(got, m)
			}
		case <-deadline:
			t.Fatalf("late output of the first cell: got %v, want stream and error", types(got))
		}
	}
	if g := strings.Join(types(got), ","); g != "stream,error" {
		t.Fatalf("late messages = %s, want stream,error", g)
	}
	if text := content(t, got[0])["text"]; text != "done later" {
		t.Errorf("late stream = %q", text)
	}
	var e struct {
		Ename, Evalue string
		Traceback     []string
	}
	if err := json.Unmarshal(got[1].Content, &e); err != nil || e.Ename != "LateError" || e.Evalue != "done later" {
		t.Errorf("late error = %s (%v)", got[1].Content, err)
	}
}
