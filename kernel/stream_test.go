package kernel

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// published records what a streamSet publishes.
type published struct {
	mu   sync.Mutex
	msgs []string
	at   []time.Time
	note chan struct{}
}

func newPublished() *published { return &published{note: make(chan struct{}, 1<<12)} }

func (p *published) publish(name string, text []byte) error {
	p.mu.Lock()
	p.msgs = append(p.msgs, name+":"+string(text))
	p.at = append(p.at, time.Now())
	p.mu.Unlock()
	p.note <- struct{}{}
	return nil
}

func (p *published) texts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.msgs...)
}

func TestStreamNeverSplitsACharacter(t *testing.T) {
	p := newPublished()
	s := newStreamSet(p.publish)
	out := streamWriter{s, 0}
	// Fill the buffer to one byte short of flushBytes, then write a
	// four-byte character: the flush at flushBytes falls inside it.
	text := strings.Repeat("a", flushBytes-1) + "𝄞" + strings.Repeat("é", flushBytes) + "end"
	b := []byte(text)
	// Write in pieces of 7 bytes, so that many writes end mid-character.
	for len(b) > 0 {
		n := min(7, len(b))
		if _, err := out.Write(b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
	s.Flush()
	var all strings.Builder
	msgs := p.texts()
	if len(msgs) < 2 {
		t.Fatalf("%d bytes went out as %d messages; want them split at flushBytes", len(text), len(msgs))
	}
	for i, m := range msgs {
		body := strings.TrimPrefix(m, "stdout:")
		if !utf8.ValidString(body) {
			t.Errorf("message %d of %d is not valid UTF-8 (a character was split): ends %q", i, len(msgs), body[max(0, len(body)-4):])
		}
		all.WriteString(body)
	}
	if all.String() != text {
		t.Errorf("the messages joined differ from what was written (%d bytes, want %d)", all.Len(), len(text))
	}
}

func TestStreamBigWriteIsChunked(t *testing.T) {
	p := newPublished()
	s := newStreamSet(p.publish)
	text := strings.Repeat(strings.Repeat("x", 99)+"\n", 10486) // just over 1 MB
	if n, err := (streamWriter{s, 0}).Write([]byte(text)); n != len(text) || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(text))
	}
	s.Flush()
	msgs := p.texts()
	var all strings.Builder
	for i, m := range msgs {
		body := strings.TrimPrefix(m, "stdout:")
		if len(body) > flushBytes {
			t.Errorf("message %d holds %d bytes, over flushBytes (%d)", i, len(body), flushBytes)
		}
		all.WriteString(body)
	}
	if want := (len(text) + flushBytes - 1) / flushBytes; len(msgs) != want {
		t.Errorf("1 MB went out as %d messages, want %d", len(msgs), want)
	}
	if all.String() != text {
		t.Error("the chunks joined differ from what was written")
	}
}

func TestStreamInterleavesInWriteOrder(t *testing.T) {
	p := newPublished()
	s := newStreamSet(p.publish)
	out, errw := streamWriter{s, 0}, streamWriter{s, 1}
	out.Write([]byte("a"))
	out.Write([]byte("b"))
	errw.Write([]byte("E"))
	out.Write([]byte("c"))
	s.Flush()
	if got, want := strings.Join(p.texts(), "|"), "stdout:ab|stderr:E|stdout:c"; got != want {
		t.Errorf("published %q, want %q", got, want)
	}
}

// A line printed by a cell that then runs on goes out on its own, after
// flushDelay, without the cell ending or writing again.
func TestStreamFlushesWhileCellRuns(t *testing.T) {
	p := newPublished()
	s := newStreamSet(p.publish)
	start := time.Now()
	streamWriter{s, 0}.Write([]byte("tick\n"))
	select {
	case <-p.note:
	case <-time.After(5 * time.Second):
		t.Fatal("a line written by a running cell was not published within 5 s")
	}
	if got := p.texts(); len(got) != 1 || got[0] != "stdout:tick\n" {
		t.Errorf("published %q, want one \"tick\\n\"", got)
	}
	if d := p.at[0].Sub(start); d < flushDelay/2 {
		t.Errorf("published after %v: small writes must wait about flushDelay (%v) to be coalesced", d, flushDelay)
	}
	s.Flush()
}

// streamContent is the JSON that encoding/json would decode back into
// the same name and text, in one allocation of the exact size.
func TestStreamContent(t *testing.T) {
	texts := []string{
		"", "plain\n", `say "hi" \ bye`, "tab\tcr\rnl\n", "\x00\x01\x1f\x7f",
		"é ü 中文 🙂", "\u2028\u2029", "</script>&<>", strings.Repeat("x\"\\\n", 1000),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]rune, r.IntN(40))
		for i := range b {
			switch r.IntN(4) {
			case 0:
				b[i] = rune(r.IntN(0x30)) // controls, quotes, backslash's neighbours
			case 1:
				b[i] = '\\'
			default:
				b[i] = rune(r.IntN(0x11000))
			}
		}
		texts = append(texts, strings.ToValidUTF8(string(b), "?"))
	}
	for _, text := range texts {
		raw := streamContent("stderr", []byte(text))
		var got struct{ Name, Text string }
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("streamContent(%q) = %s: not JSON: %v", text, raw, err)
		}
		if got.Name != "stderr" || got.Text != text {
			t.Errorf("streamContent(%q) decodes to %q, %q", text, got.Name, got.Text)
		}
		if cap(raw) != len(raw) {
			t.Errorf("streamContent(%q): %d bytes in a buffer of %d: the size was not counted right", text, len(raw), cap(raw))
		}
	}
}

func FuzzStreamContent(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c\n", "\x00\x1f", "中🙂"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		text = strings.ToValidUTF8(text, "\uFFFD")
		var got struct{ Name, Text string }
		if err := json.Unmarshal(streamContent("stdout", []byte(text)), &got); err != nil || got.Text != text {
			t.Errorf("streamContent(%q) decodes to %q, %v", text, got.Text, err)
		}
	})
}
