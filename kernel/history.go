package kernel

import (
	"regexp"
	"strings"
	"sync"

	"github.com/go-zeromq/zmq4"
)

// historySession is the session number this kernel reports: history is
// kept for the kernel's life only, so there is one session.
const historySession = 1

type historyEntry struct {
	input, output string
}

// history holds the inputs (and text results) of the cells run with
// store_history, numbered from 1. It is used only by the shell worker.
type history struct {
	entries []historyEntry
}

func newHistory() *history { return &history{} }

func (h *history) add(input, output string) {
	h.entries = append(h.entries, historyEntry{input, output})
}

type historyRequest struct {
	Output         bool   `json:"output"`
	Raw            bool   `json:"raw"`
	HistAccessType string `json:"hist_access_type"`
	Session        int    `json:"session"`
	Start          int    `json:"start"`
	Stop           *int   `json:"stop"`
	N              *int   `json:"n"`
	Pattern        string `json:"pattern"`
	Unique         bool   `json:"unique"`
}

// query returns the 0-based indices of the entries req selects.
func (h *history) query(req historyRequest) []int {
	var idx []int
	switch req.HistAccessType {
	case "tail":
		n := len(h.entries)
		if req.N != nil && *req.N >= 0 && *req.N < n {
			n = *req.N
		}
		for i := len(h.entries) - n; i < len(h.entries); i++ {
			idx = append(idx, i)
		}
	case "range":
		// Session 0 and negative offsets mean "this session"; others are
		// sessions this kernel never had.
		if req.Session > 0 && req.Session != historySession {
			return nil
		}
		start, stop := req.Start, len(h.entries)+1
		if req.Stop != nil && *req.Stop > 0 && *req.Stop < stop {
			stop = *req.Stop
		}
		if start < 1 {
			start = 1
		}
		for line := start; line < stop; line++ {
			idx = append(idx, line-1)
		}
	case "search":
		re := globRegexp(req.Pattern)
		seen := map[string]bool{}
		// Walk newest first so "unique" keeps each input's last run.
		for i := len(h.entries) - 1; i >= 0; i-- {
			in := h.entries[i].input
			if !re.MatchString(in) || (req.Unique && seen[in]) {
				continue
			}
			seen[in] = true
			idx = append(idx, i)
			if req.N != nil && *req.N > 0 && len(idx) == *req.N {
				break
			}
		}
		for i, j := 0, len(idx)-1; i < j; i, j = i+1, j-1 {
			idx[i], idx[j] = idx[j], idx[i]
		}
	}
	return idx
}

// reply renders the selected entries as history_reply wants them:
// [session, line, input] or [session, line, [input, output]].
func (h *history) reply(req historyRequest) []any {
	out := []any{}
	for _, i := range h.query(req) {
		e := h.entries[i]
		if req.Output {
			var res any
			if e.output != "" {
				res = e.output
			}
			out = append(out, []any{historySession, i + 1, []any{e.input, res}})
		} else {
			out = append(out, []any{historySession, i + 1, e.input})
		}
	}
	return out
}

// globRegexp turns a history search pattern (sqlite GLOB: *, ?, [...])
// into a regexp matching the whole input. An empty pattern matches all.
func globRegexp(pattern string) *regexp.Regexp {
	if pattern == "" {
		pattern = "*"
	}
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	p := []rune(pattern)
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			if j := indexRune(p[i+1:], ']'); j > 0 {
				class := string(p[i+1 : i+1+j])
				if class[0] == '^' {
					class = "^" + regexp.QuoteMeta(class[1:])
				} else {
					class = regexp.QuoteMeta(class)
				}
				b.WriteString("[" + strings.ReplaceAll(class, `\-`, "-") + "]")
				i += j + 1
				continue
			}
			b.WriteString(`\[`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil { // an odd bracket class: match the pattern literally
		re = regexp.MustCompile(`\A` + regexp.QuoteMeta(pattern) + `\z`)
	}
	return re
}

func indexRune(rs []rune, r rune) int {
	for i, x := range rs {
		if x == r {
			return i
		}
	}
	return -1
}

func (k *Kernel) handleHistory(sock zmq4.Socket, mu *sync.Mutex, m *Message) {
	var req historyRequest
	if err := k.decodeContent(m, &req); err != nil {
		k.replyError(sock, mu, m, "history_reply", err)
		return
	}
	k.reply(sock, mu, m, "history_reply", map[string]any{"status": "ok", "history": k.history.reply(req)})
}
