// Package kernelspec owns the kernelspec that makes Jupyter find
// iotkernel: kernel.json and the logos (embedded in the binary), where a
// kernelspec lives for --user, --sys-prefix and --prefix installs, and
// installing or removing it. It follows the kernelspec section of
// https://jupyter-client.readthedocs.io/en/latest/kernels.html.
package kernelspec

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// DefaultName is the kernelspec's directory name, as notebooks refer to it.
const DefaultName = "iot"

// DisplayName is what Jupyter shows in its kernel menus.
const DisplayName = "IoT (MicroPython + Go)"

//go:embed assets/logo-32x32.png assets/logo-64x64.png assets/logo-svg.svg
var assets embed.FS

// Spec is the content of kernel.json.
type Spec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env,omitempty"`
	Metadata      map[string]any    `json:"metadata"`
}

// NewSpec returns the kernel.json for the binary at exe (an absolute path).
func NewSpec(exe string, extraArgs ...string) Spec {
	argv := append([]string{exe, "kernel"}, extraArgs...)
	argv = append(argv, "-f", "{connection_file}")
	return Spec{
		Argv:        argv,
		DisplayName: DisplayName,
		// Board cells are Python: frontends highlight and indent them so.
		Language: "python",
		// Interrupts arrive as interrupt_request on control, so they work
		// the same for local and remote kernels and reach a busy board.
		InterruptMode: "message",
		Metadata:      map[string]any{"debugger": false},
	}
}

// Location says where to install.
type Location struct {
	User      bool   // the user's Jupyter data dir (the default)
	SysPrefix bool   // {sys.prefix}/share/jupyter/kernels of the python3 on PATH
	Prefix    string // PREFIX/share/jupyter/kernels
}

// KernelsDir resolves l to the directory that holds kernelspecs.
func (l Location) KernelsDir() (string, error) {
	switch {
	case l.Prefix != "":
		return filepath.Join(l.Prefix, "share", "jupyter", "kernels"), nil
	case l.SysPrefix:
		prefix, err := pythonSysPrefix()
		if err != nil {
			return "", err
		}
		return filepath.Join(prefix, "share", "jupyter", "kernels"), nil
	default:
		dir, err := UserDataDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, "kernels"), nil
	}
}

// UserDataDir is Jupyter's per-user data directory: $JUPYTER_DATA_DIR,
// else the platform's default, as jupyter_core computes it.
func UserDataDir() (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the Jupyter data dir: %w (set JUPYTER_DATA_DIR)", err)
	}
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(home, "Library", "Jupyter"), nil
	case "windows":
		if app := os.Getenv("APPDATA"); app != "" {
			return filepath.Join(app, "jupyter"), nil
		}
		return filepath.Join(home, "AppData", "Roaming", "jupyter"), nil
	default:
		if x := os.Getenv("XDG_DATA_HOME"); x != "" {
			return filepath.Join(x, "jupyter"), nil
		}
		return filepath.Join(home, ".local", "share", "jupyter"), nil
	}
}

// pythonSysPrefix asks the Python that runs Jupyter for its sys.prefix.
func pythonSysPrefix() (string, error) {
	py := os.Getenv("IOTKERNEL_PYTHON")
	if py == "" {
		for _, name := range []string{"python3", "python"} {
			if p, err := exec.LookPath(name); err == nil {
				py = p
				break
			}
		}
	}
	if py == "" {
		return "", errors.New("--sys-prefix needs the Python that runs Jupyter: no python3 on PATH (set IOTKERNEL_PYTHON, or use --prefix)")
	}
	out, err := exec.Command(py, "-c", "import sys; print(sys.prefix)").Output()
	if err != nil {
		return "", fmt.Errorf("ask %s for sys.prefix: %w", py, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Install writes the kernelspec directory name (kernel.json and logos)
// under l and returns its path. An existing spec of that name is replaced.
func Install(l Location, name string, spec Spec) (string, error) {
	if name == "" {
		name = DefaultName
	}
	if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return "", fmt.Errorf("kernelspec name %q: use letters, digits, '-', '_' and '.'", name)
	}
	kernels, err := l.KernelsDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(kernels, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("install kernelspec: %w", err)
	}
	js, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "kernel.json"), append(js, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("install kernelspec: %w", err)
	}
	err = fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, d.Name()), b, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("install kernelspec logos: %w", err)
	}
	return dir, nil
}

// Uninstall removes the kernelspec directory name under l and returns its
// path. It is an error if there is none.
func Uninstall(l Location, name string) (string, error) {
	if name == "" {
		name = DefaultName
	}
	kernels, err := l.KernelsDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(kernels, name)
	if _, err := os.Stat(filepath.Join(dir, "kernel.json")); err != nil {
		return dir, fmt.Errorf("no kernelspec %q in %s", name, kernels)
	}
	if err := os.RemoveAll(dir); err != nil {
		return dir, fmt.Errorf("uninstall kernelspec: %w", err)
	}
	return dir, nil
}
