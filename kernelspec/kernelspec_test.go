package kernelspec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInstallWritesSpecAndLogos(t *testing.T) {
	data := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", data)
	dir, err := Install(Location{User: true}, "", NewSpec("/opt/bin/iotkernel"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(data, "kernels", "iot"); dir != want {
		t.Errorf("Install dir = %q, want %q", dir, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"argv":           []any{"/opt/bin/iotkernel", "kernel", "-f", "{connection_file}"},
		"display_name":   "IoT (MicroPython + Go)",
		"language":       "python",
		"interrupt_mode": "message",
		"metadata":       map[string]any{"debugger": false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kernel.json (-want +got):\n%s", diff)
	}
	for _, logo := range []string{"logo-32x32.png", "logo-64x64.png", "logo-svg.svg"} {
		fi, err := os.Stat(filepath.Join(dir, logo))
		if err != nil || fi.Size() == 0 {
			t.Errorf("logo %s missing or empty: %v", logo, err)
		}
	}
	if _, err := Uninstall(Location{User: true}, "iot"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after Uninstall, %s still exists (err %v)", dir, err)
	}
	if _, err := Uninstall(Location{User: true}, "iot"); err == nil {
		t.Error("second Uninstall succeeded; want an error saying there is no kernelspec")
	}
}

func TestLocations(t *testing.T) {
	t.Setenv("JUPYTER_DATA_DIR", "/data/jup")
	cases := []struct {
		loc  Location
		want string
	}{
		{Location{}, "/data/jup/kernels"},
		{Location{User: true}, "/data/jup/kernels"},
		{Location{Prefix: "/opt/env"}, "/opt/env/share/jupyter/kernels"},
	}
	for _, c := range cases {
		got, err := c.loc.KernelsDir()
		if err != nil || got != c.want {
			t.Errorf("%+v.KernelsDir() = %q, %v; want %q", c.loc, got, err, c.want)
		}
	}
}

func TestInstallRejectsPathNames(t *testing.T) {
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	for _, name := range []string{"../evil", "a/b", ".."} {
		if _, err := Install(Location{}, name, NewSpec("/x")); err == nil {
			t.Errorf("Install(name %q) succeeded; want an error", name)
		}
	}
}
