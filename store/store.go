package store

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/iotkernel/iotkernel/internal/userfile"
)

// ErrNotStored is wrapped by the error for deleting a name that is not in
// the store.
var ErrNotStored = errors.New("not in the store")

// A CorruptError reports a store file that could not be parsed. The file
// was moved aside, never overwritten, and the store carried on empty.
type CorruptError struct {
	Path  string // the store file
	Moved string // where the corrupt file is now
	Err   error  // what was wrong with it
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("store %s is corrupt (%v): moved it to %s and started an empty store", e.Path, e.Err, e.Moved)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// A Store is the persistent %store: one JSON file shared by every kernel
// that opens the same path. Each method re-reads the file, so a value set by
// another kernel is seen at once. Reads take a shared lock on a sidecar
// file PATH.lock; changes take an exclusive lock, re-read, apply and write
// a temporary file in the same directory that is synced and renamed over
// PATH, so a crash at any moment leaves either the old or the new file.
// A Store is safe for concurrent use.
type Store struct {
	path string

	mu       sync.Mutex
	warnings []error
}

// An Entry describes one stored value for a listing.
type Entry struct {
	Name   string
	Type   string // Python type: "int", "list"...
	GoType string // type of Value.Go: "int", "[]int"...
	Short  string // the start of the Python repr
}

// shortLen is the longest Entry.Short, in runes.
const shortLen = 60

// DefaultPath returns where the store lives unless told otherwise:
// $IOTKERNEL_STORE, else $XDG_DATA_HOME/iotkernel/store.json, else
// ~/.local/share/iotkernel/store.json.
func DefaultPath() (string, error) {
	if p := os.Getenv("IOTKERNEL_STORE"); p != "" {
		return p, nil
	}
	p, err := userfile.DataPath(os.Getenv, "store.json")
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	return p, nil
}

// Open opens the store at path, creating its directory if needed (the file
// itself appears with the first value). If the file is corrupt, Open moves
// it aside and returns a usable, empty Store together with a
// *CorruptError for the user to see. A file from a newer kernel is a
// *VersionError and no Store.
func Open(path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: empty path")
	}
	s := &Store{path: path}
	if err := s.checkRegular(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if _, err := s.read(); err != nil {
		return nil, err
	}
	switch w := s.Warnings(); len(w) {
	case 0:
		return s, nil
	case 1:
		return s, w[0]
	default:
		return s, errors.Join(w...)
	}
}

// Path returns the store file's path.
func (s *Store) Path() string { return s.path }

// Warnings returns, and forgets, the problems met since the last call that
// did not stop an operation: corrupt files found and moved aside (as
// *CorruptError) by another kernel's writes or a hand edit.
func (s *Store) Warnings() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.warnings
	s.warnings = nil
	return w
}

func (s *Store) warn(err error) {
	s.mu.Lock()
	s.warnings = append(s.warnings, err)
	s.mu.Unlock()
}

// Get returns the value stored under name.
func (s *Store) Get(name string) (Value, bool, error) {
	vals, err := s.read()
	if err != nil {
		return Value{}, false, err
	}
	v, ok := vals[name]
	return v, ok, nil
}

// All returns every stored value.
func (s *Store) All() (map[string]Value, error) { return s.read() }

// List returns an entry for each stored value, sorted by name. It reads
// the file's index, never the values themselves, unless the file has no
// index (written by an older kernel, or edited by hand).
func (s *Store) List() ([]Entry, error) {
	unlock, err := lockFile(s.lockPath(), false)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	entries, ok, err := s.listIndex()
	unlock()
	if ok || err != nil {
		return entries, err
	}
	vals, err := s.read()
	if err != nil {
		return nil, err
	}
	entries = make([]Entry, 0, len(vals))
	for name, v := range vals {
		entries = append(entries, Entry{Name: name, Type: v.Type(), GoType: v.GoType(), Short: v.Short(shortLen)})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return entries, nil
}

// Set stores v under name, replacing any value there.
func (s *Store) Set(name string, v Value) error {
	return s.SetMany(map[string]Value{name: v})
}

// SetMany stores several values in one write: all of them or, on error,
// none.
func (s *Store) SetMany(vals map[string]Value) error {
	for name, v := range vals {
		if !ValidName(name) {
			return fmt.Errorf("store: cannot store %q: not an identifier", name)
		}
		if d := v.depth(); d > maxDepth {
			return fmt.Errorf("store: cannot store %s: nested %d levels deep, more than %d", name, d, maxDepth)
		}
	}
	return s.change(func(stored map[string]Value) (bool, error) {
		for name, v := range vals {
			stored[name] = v
		}
		return len(vals) > 0, nil
	})
}

// Delete removes name from the store; a name that is not there is an
// error wrapping ErrNotStored.
func (s *Store) Delete(name string) error {
	return s.change(func(stored map[string]Value) (bool, error) {
		if _, ok := stored[name]; !ok {
			return false, fmt.Errorf("store: %s is %w", name, ErrNotStored)
		}
		delete(stored, name)
		return true, nil
	})
}

// Clear removes every value.
func (s *Store) Clear() error {
	return s.change(func(stored map[string]Value) (bool, error) {
		clear(stored)
		return true, nil
	})
}

// lockPath is the lock's sidecar, next to the file the store path leads
// to, so that kernels reaching one file through different links share it.
func (s *Store) lockPath() string {
	if t, err := userfile.Target(s.path); err == nil {
		return t + ".lock"
	}
	return s.path + ".lock"
}

// listIndex reads the listing from the file's index; see readIndex.
func (s *Store) listIndex() ([]Entry, bool, error) {
	if err := s.checkRegular(); err != nil {
		return nil, false, err
	}
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return []Entry{}, true, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	return readIndex(s.path, bufio.NewReader(f))
}

// checkRegular refuses a store path that holds a FIFO, a device or a
// directory, before anything opens it (opening a FIFO would wait for a
// writer forever).
func (s *Store) checkRegular() error {
	if err := userfile.CheckRegular(s.path); err != nil {
		return fmt.Errorf("store: %w: set IOTKERNEL_STORE to a regular file", err)
	}
	return nil
}

// read loads the file under a shared lock. If the file is corrupt it
// retries under the exclusive lock, which moves the file aside.
func (s *Store) read() (map[string]Value, error) {
	unlock, err := lockFile(s.lockPath(), false)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	vals, err := s.load()
	unlock()
	var ce *CorruptError
	if !errors.As(err, &ce) {
		return vals, err
	}
	err = s.change(func(stored map[string]Value) (bool, error) {
		vals = stored
		return false, nil
	})
	return vals, err
}

// change runs fn on the current values under the exclusive lock and writes
// the result if fn reports a change.
func (s *Store) change(fn func(map[string]Value) (bool, error)) error {
	unlock, err := lockFile(s.lockPath(), true)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer unlock()
	vals, err := s.load()
	var ce *CorruptError
	if errors.As(err, &ce) {
		target, err := userfile.Target(s.path)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		// A symlinked store keeps its link: the file it leads to moves.
		if ce.Moved, err = moveAside(target); err != nil {
			return fmt.Errorf("store %s is corrupt (%v) and could not be moved aside: %w", s.path, ce.Err, err)
		}
		s.warn(ce)
		vals = make(map[string]Value)
	} else if err != nil {
		return err
	}
	changed, err := fn(vals)
	if err != nil || !changed {
		return err
	}
	removeStaleTemps(s.path)
	err = userfile.WriteFile(s.path, encodeFile(vals), 0o600)
	switch {
	case errors.Is(err, userfile.ErrReadOnly):
		return fmt.Errorf("store: %w; it was not changed (make it writable, or set IOTKERNEL_STORE to another file)", err)
	case err != nil:
		return fmt.Errorf("store: writing %s: %w", s.path, err)
	}
	return nil
}

// load reads and parses the file. A missing or empty file is an empty
// store; a corrupt one is a *CorruptError without Moved.
func (s *Store) load() (map[string]Value, error) {
	if err := s.checkRegular(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(data) == 0 {
		return make(map[string]Value), nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	vals, err := decodeFile(s.path, data)
	var ve *VersionError
	switch {
	case errors.As(err, &ve):
		return nil, err
	case err != nil:
		return nil, &CorruptError{Path: s.path, Err: err}
	}
	return vals, nil
}

// moveAside renames a corrupt store file to PATH.corrupt-TIME, adding a
// counter if that exists already, and returns the new name.
func moveAside(path string) (string, error) {
	base := path + ".corrupt-" + time.Now().UTC().Format("20060102T150405Z")
	dst := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
			break
		}
		dst = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(path, dst); err != nil {
		return "", err
	}
	return dst, userfile.SyncDir(filepath.Dir(path))
}

// removeStaleTemps deletes temporary files left by a writer that died
// between creating and renaming one. Only holders of the exclusive lock
// create them, so under that lock every one is stale.
func removeStaleTemps(path string) {
	target, err := userfile.Target(path)
	if err != nil {
		return
	}
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(target), userfile.TempPattern(target)))
	for _, name := range stale {
		os.Remove(name)
	}
}
