// Package userfile owns the two rules for the files iotkernel keeps for
// its user (the boards file, the %store file, the board program in the
// cache): where
// each lives, and how it is replaced without ever leaving half a file.
//
// Locations follow the XDG Base Directory Specification
// (https://specifications.freedesktop.org/basedir-spec/latest/): the
// XDG variable when it holds an absolute path (the spec says to ignore a
// relative one), else the spec's default under $HOME.
//
// It depends on the standard library only.
package userfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// App is the directory under the XDG base directories that holds
// iotkernel's files.
const App = "iotkernel"

// ConfigPath returns where the named configuration file lives:
// $XDG_CONFIG_HOME/iotkernel/NAME, else $HOME/.config/iotkernel/NAME.
// getenv looks the variables up (os.Getenv, or a session's environment).
func ConfigPath(getenv func(string) string, name string) (string, error) {
	return path(getenv, "XDG_CONFIG_HOME", ".config", name)
}

// CacheDir returns the directory of iotkernel's cached files:
// $XDG_CACHE_HOME/iotkernel, else $HOME/.cache/iotkernel.
func CacheDir(getenv func(string) string) (string, error) {
	return path(getenv, "XDG_CACHE_HOME", ".cache", "")
}

// DataPath returns where the named data file lives:
// $XDG_DATA_HOME/iotkernel/NAME, else $HOME/.local/share/iotkernel/NAME.
func DataPath(getenv func(string) string, name string) (string, error) {
	return path(getenv, "XDG_DATA_HOME", filepath.Join(".local", "share"), name)
}

func path(getenv func(string) string, xdgVar, homeDefault, name string) (string, error) {
	if d := getenv(xdgVar); filepath.IsAbs(d) {
		return filepath.Join(d, App, name), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no home directory for iotkernel's files: %w (set %s or HOME)", err, xdgVar)
		}
		home = h
	}
	return filepath.Join(home, homeDefault, App, name), nil
}

var (
	// ErrReadOnly is wrapped by WriteFile's error for a file that nobody
	// may write (no write bit in its mode) or that this process may not.
	ErrReadOnly = errors.New("file is read-only")
	// ErrNotRegular is wrapped by the errors for a path that holds
	// something other than a regular file (a FIFO, a device, a directory).
	ErrNotRegular = errors.New("not a regular file")
)

// Target returns the file that path names once symlinks are followed:
// the file WriteFile replaces. A path that does not exist, or a symlink
// whose target does not exist yet, still has a target.
func Target(path string) (string, error) {
	for range 40 { // as the kernel's limit on nested links
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		dst, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dst) {
			dst = filepath.Join(filepath.Dir(path), dst)
		}
		path = dst
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// CheckRegular returns an error wrapping ErrNotRegular when path (followed
// through symlinks) exists and is not a regular file. It never opens the
// file, so a FIFO cannot block it. A missing file passes.
func CheckRegular(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: %w (it is a %s)", path, ErrNotRegular, kind(fi.Mode()))
	}
	return nil
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// TempPattern is the os.CreateTemp pattern of WriteFile's temporary files
// for target (a path Target returned): a writer that holds the file's own
// lock may remove matches left by one that died.
func TempPattern(target string) string { return "." + filepath.Base(target) + ".tmp-*" }

// WriteFile replaces the file at path with data so that a reader, or a
// crash at any instant, sees the old content or the new, never a mix: it
// writes a temporary file in the same directory, syncs it, renames it over
// the file and syncs the directory. The directory is created (0755) if
// needed.
//
// A symlink at path is followed: its target is replaced and the link
// stays. An existing file keeps its mode; a new one gets perm. An
// existing file that is read-only (no write bit at all, which even root
// honours here, or not writable by this process) is refused with an error
// wrapping ErrReadOnly, and one that is not a regular file with
// ErrNotRegular; both are left untouched.
func WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	target, err := Target(path)
	if err != nil {
		return err
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s: %w (it is a %s)", path, ErrNotRegular, kind(fi.Mode()))
	case fi.Mode().Perm()&0o222 == 0 || !writable(target):
		return fmt.Errorf("%s: %w (mode %04o)", path, ErrReadOnly, fi.Mode().Perm())
	default:
		perm = fi.Mode().Perm()
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, TempPattern(target))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), target); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes a rename in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
