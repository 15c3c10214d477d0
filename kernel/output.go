package kernel

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// cellOutput is the Output of one execute_request. It stays usable after
// the cell ended: goroutines the cell started may still write, and their
// output is published with this cell as parent.
type cellOutput struct {
	k          *Kernel
	req        *Message
	silent     bool
	allowStdin bool
	count      int
	streams    *streamSet

	mu        sync.Mutex
	result    string // text/plain of the execute_result, for history
	shown     bool
	nextInput map[string]any // the set_next_input payload, if any
}

func newCellOutput(k *Kernel, req *Message, silent, allowStdin bool, count int) *cellOutput {
	o := &cellOutput{k: k, req: req, silent: silent, allowStdin: allowStdin, count: count}
	o.streams = newStreamSet(func(name string, text []byte) error {
		if o.silent {
			return nil
		}
		return k.publish(req, "stream", streamContent(name, text))
	})
	return o
}

func (o *cellOutput) Stdout() io.Writer { return streamWriter{o.streams, 0} }
func (o *cellOutput) Stderr() io.Writer { return streamWriter{o.streams, 1} }
func (o *cellOutput) Silent() bool      { return o.silent }

// end flushes what the cell left in its buffers, before its reply.
func (o *cellOutput) end() { o.streams.Flush() }

func (o *cellOutput) Result(data MIMEBundle, metadata map[string]any) {
	o.mu.Lock()
	if o.shown {
		o.mu.Unlock()
		return
	}
	o.shown = true
	if s, ok := data["text/plain"].(string); ok {
		o.result = s
	}
	o.mu.Unlock()
	if o.silent {
		return
	}
	o.streams.Flush()
	o.k.publish(o.req, "execute_result", map[string]any{
		"execution_count": o.count, "data": data, "metadata": orEmpty(metadata),
	})
}

func (o *cellOutput) SetNextInput(text string, replace bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.nextInput = map[string]any{"source": "set_next_input", "text": text, "replace": replace}
}

// payload is the execute_reply's payload list.
func (o *cellOutput) payload() []any {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.nextInput == nil {
		return []any{}
	}
	return []any{o.nextInput}
}

func (o *cellOutput) resultText() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.result
}

func (o *cellOutput) Display(data MIMEBundle, metadata map[string]any, displayID string, update bool) {
	if o.silent {
		return
	}
	o.streams.Flush()
	content := map[string]any{"data": data, "metadata": orEmpty(metadata), "transient": map[string]any{}}
	if displayID != "" {
		content["transient"] = map[string]any{"display_id": displayID}
	}
	msgType := "display_data"
	if update {
		msgType = "update_display_data"
	}
	o.k.publish(o.req, msgType, content)
}

func (o *cellOutput) ClearOutput(wait bool) {
	if o.silent {
		return
	}
	o.streams.Flush()
	o.k.publish(o.req, "clear_output", map[string]bool{"wait": wait})
}

func (o *cellOutput) Input(ctx context.Context, prompt string, password bool) (string, error) {
	if !o.allowStdin {
		return "", ErrNoStdin
	}
	o.streams.Flush()
	s, err := o.k.stdinRequest(ctx, o.req, prompt, password)
	if err != nil {
		return "", fmt.Errorf("input: %w", err)
	}
	return s, nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
