package host

import (
	"regexp"
	"testing"
)

// slog's default logger in cells writes to the cell's stderr, as slog's
// default handler would to the process's.
func TestSlogInCells(t *testing.T) {
	in := newInterp(t)
	stamp := `\d{4}/\d\d/\d\d \d\d:\d\d:\d\d `
	for _, c := range []struct{ code, want string }{
		{`slog.Info("hello", "n", 1)`, `^` + stamp + `INFO hello n=1\n$`},
		{`slog.Debug("hidden")`, `^$`},
		{`slog.Warn("with a group", slog.Group("req", "id", 7, "path", "/x"))`, `^` + stamp + `WARN with a group req.id=7 req.path=/x\n$`},
		{"l := slog.With(\"board\", \"esp32\")\nl.Error(\"gone\", \"err\", errors.New(\"unplugged\"))", `^` + stamp + `ERROR gone board=esp32 err=unplugged\n$`},
		{"slog.SetLogLoggerLevel(slog.LevelDebug)\nslog.Debug(\"shown\")", `^` + stamp + `DEBUG shown\n$`},
		{`slog.Default().Info("default", "quoted", "a b")`, `^` + stamp + `INFO default quoted="a b"\n$`},
		{`slog.InfoContext(context.Background(), "ctx")`, `^` + stamp + `INFO ctx\n$`},
	} {
		_, rec := mustEval(t, in, c.code)
		if got := rec.stderr.String(); !regexp.MustCompile(c.want).MatchString(got) {
			t.Errorf("%s: stderr %q, want %s", c.code, got, c.want)
		}
		if rec.stdout.String() != "" {
			t.Errorf("%s: stdout %q, want nothing", c.code, rec.stdout.String())
		}
	}
	// A handler of the cell's own, as the default.
	_, rec := mustEval(t, in, "slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(g []string, a slog.Attr) slog.Attr { if a.Key == \"time\" { return slog.Attr{} }; return a }})))\nslog.Info(\"json\", \"n\", 2)")
	if got, want := rec.stdout.String(), `{"level":"INFO","msg":"json","n":2}`+"\n"; got != want {
		t.Errorf("after slog.SetDefault with a JSON handler on os.Stdout: stdout %q, want %q", got, want)
	}
	// Another interpreter has its own default.
	other := newInterp(t)
	_, rec = mustEval(t, other, `slog.Info("fresh")`)
	if !regexp.MustCompile(`^` + stamp + `INFO fresh\n$`).MatchString(rec.stderr.String()) {
		t.Errorf("a second interpreter's slog.Info: stderr %q, want its own default logger's line", rec.stderr.String())
	}
}
