package magics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/iotkernel/iotkernel/internal/userfile"
)

// The boards file is one JSON object that maps board names to URLs:
//
//	{"esp32": "serial:///dev/ttyUSB0",
//	 "garden": {"url": "ws://192.168.1.40:8266", "password": "micropy"}}
//
// A WebREPL board's entry is an object that also holds its password, so
// that the password never appears in a URL (nor in the notebook, which
// shows URLs). Only %connect reads the password; listings show URLs.

// boardEntry is one name of the boards file.
type boardEntry struct {
	URL      string `json:"url"`
	Password string `json:"password,omitempty"`
}

func (e *boardEntry) UnmarshalJSON(data []byte) error {
	if err := json.Unmarshal(data, &e.URL); err == nil {
		return nil
	}
	type plain boardEntry // without this method
	var p plain
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || p.URL == "" {
		return errors.New(`an entry must be a URL or {"url": URL, "password": PASSWORD}`)
	}
	*e = boardEntry(p)
	return nil
}

func (e boardEntry) MarshalJSON() ([]byte, error) {
	if e.Password == "" {
		return json.Marshal(e.URL)
	}
	type plain boardEntry
	return json.Marshal(plain(e))
}

// ReadBoards reads a boards file and returns each name's URL. A missing
// file is empty.
func ReadBoards(path string) (map[string]string, error) {
	entries, err := readBoardEntries(path)
	return urls(entries), err
}

func urls(entries map[string]boardEntry) map[string]string {
	m := make(map[string]string, len(entries))
	for n, e := range entries {
		m[n] = e.URL
	}
	return m
}

// readBoardEntries reads a boards file with its passwords.
func readBoardEntries(path string) (map[string]boardEntry, error) {
	if err := userfile.CheckRegular(path); err != nil {
		return nil, fmt.Errorf("read boards file: %w", err)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]boardEntry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read boards file: %w", err)
	}
	boards := map[string]boardEntry{}
	if len(bytes.TrimSpace(data)) == 0 {
		return boards, nil
	}
	if err := json.Unmarshal(data, &boards); err != nil {
		return nil, fmt.Errorf("boards file %s: %v (want a JSON object of name: URL or name: {\"url\": URL, \"password\": PASSWORD}; fix or remove it)", path, err)
	}
	return boards, nil
}

// saveBoard sets name to url in the boards file at path, keeping the
// password the name had, and replacing the file atomically so that a
// crash leaves the old one. A file that holds passwords is readable by its
// owner only.
func saveBoard(path, name, url string) error {
	boards, err := readBoardEntries(path)
	if err != nil {
		return err
	}
	e := boards[name]
	e.URL = url
	boards[name] = e
	data, err := json.MarshalIndent(boards, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	mode := fs.FileMode(0o644)
	for _, e := range boards {
		if e.Password != "" {
			mode = 0o600
		}
	}
	if err := userfile.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("save board %s in %s: %w", name, path, err)
	}
	return nil
}
