package host

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"reflect"
	"strings"
	"sync"
)

// Cells log with log/slog as with log, to the cell's stderr. slog's
// default logger writes through the process's log package, to the
// kernel's standard error, which the notebook never shows. So cells have
// a default logger of the interpreter's, whose handler writes what slog's
// default handler writes ("2026/12/07 10:59:08 INFO hello n=1") through
// the interpreter's log.Logger; slog.SetDefault in a cell replaces it,
// not the process's, and slog.SetLogLoggerLevel sets its level. (Unlike
// Go's, a cell's SetDefault does not also send the log package's output
// to the new handler.)

// slogExports returns the log/slog functions that use the default logger,
// bound to a default of the interpreter's that writes through logger.
func slogExports(logger *log.Logger) map[string]reflect.Value {
	level := new(slog.LevelVar)
	var mu sync.Mutex
	cur := slog.New(newLogHandler(logger, level))
	def := func() *slog.Logger {
		mu.Lock()
		defer mu.Unlock()
		return cur
	}
	at := func(l slog.Level) func(string, ...any) {
		return func(msg string, args ...any) { def().Log(context.Background(), l, msg, args...) }
	}
	atCtx := func(l slog.Level) func(context.Context, string, ...any) {
		return func(ctx context.Context, msg string, args ...any) { def().Log(ctx, l, msg, args...) }
	}
	return map[string]reflect.Value{
		"Default": reflect.ValueOf(def),
		"SetDefault": reflect.ValueOf(func(l *slog.Logger) {
			mu.Lock()
			defer mu.Unlock()
			cur = l
		}),
		"SetLogLoggerLevel": reflect.ValueOf(func(l slog.Level) slog.Level {
			old := level.Level()
			level.Set(l)
			return old
		}),
		"Debug":        reflect.ValueOf(at(slog.LevelDebug)),
		"Info":         reflect.ValueOf(at(slog.LevelInfo)),
		"Warn":         reflect.ValueOf(at(slog.LevelWarn)),
		"Error":        reflect.ValueOf(at(slog.LevelError)),
		"DebugContext": reflect.ValueOf(atCtx(slog.LevelDebug)),
		"InfoContext":  reflect.ValueOf(atCtx(slog.LevelInfo)),
		"WarnContext":  reflect.ValueOf(atCtx(slog.LevelWarn)),
		"ErrorContext": reflect.ValueOf(atCtx(slog.LevelError)),
		"Log": reflect.ValueOf(func(ctx context.Context, l slog.Level, msg string, args ...any) {
			def().Log(ctx, l, msg, args...)
		}),
		"LogAttrs": reflect.ValueOf(func(ctx context.Context, l slog.Level, msg string, attrs ...slog.Attr) {
			def().LogAttrs(ctx, l, msg, attrs...)
		}),
		"With": reflect.ValueOf(func(args ...any) *slog.Logger { return def().With(args...) }),
	}
}

// logHandler formats a record as slog's default handler does, the level
// and message then the attributes as key=value text, and writes it
// through a log.Logger, whose flags add the time.
type logHandler struct {
	out   *log.Logger
	level *slog.LevelVar
	mu    *sync.Mutex   // shared by the handlers WithAttrs and WithGroup derive
	buf   *bytes.Buffer // what text writes, guarded by mu
	text  slog.Handler  // the attributes and groups, as slog's text
}

func newLogHandler(out *log.Logger, level *slog.LevelVar) *logHandler {
	h := &logHandler{out: out, level: level, mu: new(sync.Mutex), buf: new(bytes.Buffer)}
	h.text = slog.NewTextHandler(h.buf, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
				return slog.Attr{} // written by Handle, as the default handler writes them
			}
			return a
		},
	})
	return h
}

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf.Reset()
	if err := h.text.Handle(ctx, r); err != nil {
		return err
	}
	line := r.Level.String() + " " + r.Message
	if attrs := strings.TrimSuffix(h.buf.String(), "\n"); attrs != "" {
		line += " " + attrs
	}
	return h.out.Output(0, line)
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.text = h.text.WithAttrs(as)
	return &c
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.text = h.text.WithGroup(name)
	return &c
}
