package kernel

import (
	"testing"
	"time"
)

// BenchmarkTrivialCellRoundTrip times a cell the test executor does
// nothing for, from a Go client over TCP: execute_request sent, its
// reply and its idle received (busy and execute_input arrive too). It is
// the kernel's messaging path alone: no interpreter, no Python client.
func BenchmarkTrivialCellRoundTrip(b *testing.B) {
	_, c := startKernel(b)
	req := map[string]any{"code": "nothing", "silent": false, "store_history": true,
		"allow_stdin": false, "stop_on_error": true, "user_expressions": map[string]any{}}
	for b.Loop() {
		id := c.send(c.shell, "execute_request", req)
		c.recvReply(c.shell, "execute_reply")
		if !c.waitIdle(id, 10*time.Second) {
			b.Fatal("no idle within 10s")
		}
	}
}
