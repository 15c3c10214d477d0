// Package kerneltest owns what tests of a kernel.Executor need to see what
// a cell produced: Recorder, a kernel.Output that keeps it all in memory.
// It is for tests only; nothing in the kernel's own path imports it.
package kerneltest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"

	"github.com/iotkernel/iotkernel/kernel"
)

// Recorder is a kernel.Output that keeps a cell's stdout, stderr, result
// and displays (their text/plain form), and answers input prompts from
// Answers. Its methods may be called from several goroutines at once, as
// a cell's output is. The zero value is ready to use.
type Recorder struct {
	// Answers are what Input returns, one per prompt, in order. A prompt
	// with none left gets an error.
	Answers []string
	// NoStdin makes Input fail with kernel.ErrNoStdin, as a front end that
	// cannot answer prompts does.
	NoStdin bool

	mu             sync.Mutex
	stdout, stderr bytes.Buffer
	result         string
	displays       []string
	displayIDs     []string // the display id of each of displays
	prompts        []string
}

// lockedWriter appends to one of a Recorder's buffers under its lock.
type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// Stdout is where the cell's standard output goes.
func (r *Recorder) Stdout() io.Writer { return lockedWriter{&r.mu, &r.stdout} }

// Stderr is where the cell's standard error goes.
func (r *Recorder) Stderr() io.Writer { return lockedWriter{&r.mu, &r.stderr} }

// Result keeps the text/plain form of the cell's result.
func (r *Recorder) Result(data kernel.MIMEBundle, _ map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.result, _ = data["text/plain"].(string)
}

// Display keeps the text/plain form of a display. An update replaces the
// display shown under its id (or, without one, the last display), so the
// Recorder holds the last state of each, as a notebook shows it.
func (r *Recorder) Display(data kernel.MIMEBundle, _ map[string]any, id string, update bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	text, _ := data["text/plain"].(string)
	if update {
		for i := len(r.displayIDs) - 1; i >= 0; i-- {
			if r.displayIDs[i] == id {
				r.displays[i] = text
				return
			}
		}
		if n := len(r.displays); n > 0 && id == "" {
			r.displays[n-1] = text
			return
		}
	}
	r.displays = append(r.displays, text)
	r.displayIDs = append(r.displayIDs, id)
}

// ClearOutput does nothing: a Recorder keeps all a cell produced.
func (r *Recorder) ClearOutput(bool) {}

// Input records prompt and answers it with the next of Answers.
func (r *Recorder) Input(ctx context.Context, prompt string, _ bool) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.NoStdin {
		return "", kernel.ErrNoStdin
	}
	r.prompts = append(r.prompts, prompt)
	if len(r.Answers) == 0 {
		return "", errors.New("kerneltest: no answer left for this input prompt")
	}
	a := r.Answers[0]
	r.Answers = r.Answers[1:]
	return a, nil
}

// Silent is false: a Recorder wants all output.
func (r *Recorder) Silent() bool { return false }

// Output is what a Recorder kept.
type Output struct {
	Stdout, Stderr string
	Result         string   // the text/plain form of the result, if any
	Displays       []string // the text/plain form of each display, last state
	Prompts        []string // the prompts Input was called with
	Unanswered     []string // Answers no prompt asked for
}

// Output returns what r kept so far.
func (r *Recorder) Output() Output {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Output{
		Stdout:     r.stdout.String(),
		Stderr:     r.stderr.String(),
		Result:     r.result,
		Displays:   append([]string(nil), r.displays...),
		Prompts:    append([]string(nil), r.prompts...),
		Unanswered: append([]string(nil), r.Answers...),
	}
}

var _ kernel.Output = (*Recorder)(nil)
