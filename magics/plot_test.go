package magics

import (
	"strings"
	"testing"
)

func TestParsePlot(t *testing.T) {
	r := NewRegistry(Options{})
	tests := []struct {
		args    string
		want    PlotOptions
		wantErr string
	}{
		{"", PlotOptions{Window: DefaultPlotWindow}, ""},
		{"--window 100", PlotOptions{Window: 100}, ""},
		{"-window=0 -store temps", PlotOptions{Window: 0, Store: "temps"}, ""},
		{"--store t --window 7", PlotOptions{Window: 7, Store: "t"}, ""},
		{"--window -1", PlotOptions{}, "must be 0 (all) or more"},
		{"--window x", PlotOptions{}, "invalid value"},
		{"extra", PlotOptions{}, `unexpected argument "extra"`},
		{"--colour red", PlotOptions{}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		got, err := r.ParsePlot(tt.args)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "%%plot") {
				t.Errorf("ParsePlot(%q) error = %v, want one naming %%%%plot and saying %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParsePlot(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
		}
	}
}

func TestPlotOnOff(t *testing.T) {
	r := NewRegistry(Options{})
	env := newFakeEnv(t)
	out := mustRun(t, r, env, "plot on --window 50 --store run1")
	if env.plot == nil || *env.plot != (PlotOptions{Window: 50, Store: "run1"}) {
		t.Fatalf("%%plot on set %+v", env.plot)
	}
	if !strings.Contains(out, "last 50 samples") {
		t.Errorf("%%plot on said %q", out)
	}
	mustRun(t, r, env, "plot off")
	if env.plot != nil {
		t.Errorf("%%plot off left %+v", env.plot)
	}
	for _, bad := range []string{"plot", "plot maybe", "plot on off"} {
		if _, err := runMagic(t, r, env, bad); err == nil || !strings.Contains(err.Error(), "on or off") {
			t.Errorf("%%%s: error %v, want a usage error asking for on or off", bad, err)
		}
	}
	// The line and the cell magic share a name; each keeps its usage.
	if u := r.Usage("plot"); !strings.HasPrefix(u, "usage: %plot [-store] [-window] on|off") {
		t.Errorf("usage of %%plot = %q", u)
	}
	if u := r.Usage("%plot"); !strings.HasPrefix(u, "usage: %%plot [-store] [-window]") {
		t.Errorf("usage of %%%%plot = %q", u)
	}
	if b, ok := LookupCell("plot"); !ok || b != BoardBody {
		t.Errorf("LookupCell(plot) = %v, %v; want BoardBody", b, ok)
	}
}
